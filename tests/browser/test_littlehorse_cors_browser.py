"""A browser app on another origin (a LittleHorse bridge console) calls the compatibility routes
and the API with a Bearer token: Chromium's real CORS checks pass for a configured origin and
block any other."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.services import api_token_create

CALL = """async ([url, token]) => {
  try {
    const r = await fetch(url, {headers: {Authorization: `Bearer ${token}`,
                                          "Content-Type": "application/json"}});
    return {status: r.status, body: await r.json()};
  } catch (e) { return {blocked: String(e)}; }
}"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>console</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def origins():
    """Two other origins (127.0.0.1 on their own ports; the live server is on localhost)."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Page) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def _call(browser, origin, url, token):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/")
        return page.evaluate(CALL, [url, token])
    finally:
        context.close()


def test_a_configured_origin_may_call_the_bridge_and_the_api_and_others_may_not(
    browser, live_server, settings, member, origins
):
    console, elsewhere = origins
    settings.CORS_ALLOWED_ORIGINS = [console]
    _, token = api_token_create(user=member, name="console")
    bridge = f"{live_server.url}/littlehorse/default/userInfo"
    answer = _call(browser, console, bridge, token)
    assert answer.get("status") == 200, answer
    assert answer["body"]["username"] == "bob"
    api = _call(browser, console, f"{live_server.url}/api/v1/tasks/", token)
    assert api.get("status") == 200, api
    assert "blocked" in _call(browser, elsewhere, bridge, token)
