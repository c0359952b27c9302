// Drive the vendors' official clients against running simulators.
// Usage: node check.mjs <control-url>   (e.g. http://127.0.0.1:8100); exits non-zero on failure.
import assert from "node:assert/strict";
import { IamClient } from "@docusign/iam-sdk";
import Cloudflare from "cloudflare";
import { UiPath } from "@uipath/uipath-typescript/core";
import { CaseInstances } from "@uipath/uipath-typescript/cases";
import { Tasks } from "@uipath/uipath-typescript/tasks";

const control = process.argv[2] ?? "http://127.0.0.1:8100";
await fetch(`${control}/_control/reset`, { method: "POST", body: "{}" });
const ids = await (await fetch(`${control}/_control/identities`)).json();
const token = ids.token;
const results = [];

async function check(name, fn) {
  try {
    await fn();
    results.push(["ok", name]);
  } catch (err) {
    results.push(["FAIL", name, String(err?.stack ?? err)]);
  }
}

await check("uipath case instances", async () => {
  const sdk = new UiPath({ baseUrl: ids.urls.uipath, orgName: ids.uipath.org,
    tenantName: ids.uipath.tenant, secret: token });
  const cases = new CaseInstances(sdk);
  const page1 = await cases.getAll({ pageSize: 10 });
  assert.equal(page1.items.length, 10);
  assert.ok(page1.hasNextPage);
  const page2 = await cases.getAll({ cursor: page1.nextCursor });
  assert.notEqual(page2.items[0].instanceId, page1.items[0].instanceId);
  const running = (await cases.getAll({ pageSize: 100 })).items
    .find((i) => i.latestRunStatus === "Running");
  const folder = ids.uipath.folderKey;
  const one = await cases.getById(running.instanceId, folder);
  assert.equal(one.instanceId, running.instanceId);
  const stages = await cases.getStages(running.instanceId, folder);
  assert.ok(stages.length >= 3);
  assert.ok(stages.some((s) => s.status === "Not Started" || s.status === "Completed"));
  const history = await cases.getExecutionHistory(running.instanceId, folder);
  assert.ok(history.elementExecutions.length > 0);
  const tasks = await cases.getActionTasks(running.instanceId);
  assert.ok(tasks.items.length >= 1);
  const open = tasks.items.find((t) => t.status !== "Completed");
  await open.assign({ userNameOrEmail: "alice@example.com" });
  const reread = (await cases.getActionTasks(running.instanceId)).items
    .find((t) => t.id === open.id);
  assert.equal(reread.assignedToUser.userName, "alice");
  const byId = await new Tasks(sdk).getById(open.id);
  assert.equal(byId.id, open.id);
  await reread.complete({ type: reread.type, data: { ok: true }, action: "approve" });
  const after = (await cases.getActionTasks(running.instanceId)).items
    .find((t) => t.id === open.id);
  assert.equal(after.status, "Completed");
  const other = (await cases.getAll({ pageSize: 100 })).items
    .find((i) => i.latestRunStatus === "Running");
  const paused = await cases.pause(other.instanceId, folder, { comment: "check" });
  assert.equal(paused.success, true);
  const resumed = await cases.resume(other.instanceId, folder);
  assert.equal(resumed.success, true);
  const closed = await cases.close(other.instanceId, folder, { comment: "done" });
  assert.equal(closed.data.status, "Cancelled");
});

await check("docusign workflow instances", async () => {
  const iam = new IamClient({ accessToken: token, serverURL: ids.urls.docusign });
  const wfi = iam.maestro.workflowInstanceManagement;
  const req = { accountId: ids.docusign.accountId, workflowId: ids.docusign.workflowIds[0] };
  const list = await wfi.getWorkflowInstancesList(req);
  assert.ok(list.data.length >= 25);
  const running = list.data.find((i) => i.workflowStatus === "In Progress");
  const one = await wfi.getWorkflowInstance({ ...req, instanceId: running.id });
  assert.equal(one.id, running.id);
  const canceled = await wfi.cancelWorkflowInstance({ ...req, instanceId: running.id });
  assert.ok(canceled.message.includes(running.id));
  await assert.rejects(wfi.cancelWorkflowInstance({ ...req, instanceId: running.id }));
});

await check("cloudflare workflow instances", async () => {
  const cf = new Cloudflare({ apiToken: token, baseURL: `${ids.urls.cloudflare}/client/v4` });
  const account_id = ids.cloudflare.accountId;
  const name = ids.cloudflare.workflows[0];
  const all = [];
  for await (const item of cf.workflows.instances.list(name, { account_id, per_page: 7 })) {
    all.push(item.id);
  }
  assert.equal(new Set(all).size, all.length);
  assert.ok(all.length >= 25);
  const created = await cf.workflows.instances.create(name, { account_id, params: { a: 1 } });
  const ref = { account_id, workflow_name: name };
  let got = await cf.workflows.instances.get(created.id, ref);
  assert.equal(got.status, "waiting");
  await cf.workflows.instances.events.create("manager-approval",
    { ...ref, instance_id: created.id, body: { approved: true } });
  got = await cf.workflows.instances.get(created.id, ref);
  assert.equal(got.status, "complete");
  const again = await cf.workflows.instances.create(name, { account_id });
  const paused = await cf.workflows.instances.status.edit(again.id, { ...ref, status: "pause" });
  assert.equal(paused.status, "paused");
});

for (const [status, name, detail] of results) {
  console.log(`${status} ${name}${detail ? `\n${detail}` : ""}`);
}
process.exit(results.every(([s]) => s === "ok") ? 0 : 1);
