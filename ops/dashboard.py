"""The dashboard's charts: which figures each shows, as an SVG chart, a table and a CSV file.

One spec per chart; the page, the CSV download and the tests all read the same rows."""

from dataclasses import dataclass

from ops import charts, quantiles


@dataclass
class Chart:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (row key, column heading)
    rows: list[dict]
    svg: str = ""
    note: str = ""  # which of the applied filters this chart does not follow, and why

    def table(self) -> list[list]:
        return [[row[key] for key, _ in self.columns] for row in self.rows]

    def page_table(self) -> list[list]:
        """The rows the page's table shows (the CSV has them all)."""
        return [[row[key] for key, _ in self.columns] for row in self.rows[:TABLE_ROWS]]

    def more_rows(self) -> int:
        return max(0, len(self.rows) - TABLE_ROWS)


TABLE_ROWS = 100  # 90 days fit; longer lists (hundreds of groups) are in the CSV
OPEN_SERIES = [("open", "Open"), ("unclaimed", "Unclaimed"), ("overdue", "Overdue")]
CHART_KEYS = (
    "open-by-group",
    "open-by-type",
    "open-by-source",
    "age",
    "daily",
    "durations",
    "breaches",
    "sources",
)


def build_charts(stats: dict, *, with_svg: bool = True) -> list[Chart]:
    result = []
    for key, label, heading in (
        ("open-by-group", "group", "Group"),
        ("open-by-type", "type", "Task type"),
        ("open-by-source", "source", "Source"),
    ):
        rows = stats[key.replace("-", "_")]
        chart = Chart(
            key, f"Open tasks by {heading.lower()}", [(label, heading), *OPEN_SERIES], rows
        )
        if with_svg:
            chart.svg = charts.bar_chart(chart.title, rows, label, OPEN_SERIES)
        result.append(chart)
    ages = Chart(
        "age", "Age of open tasks", [("bucket", "Age"), ("open", "Open")], stats["age_buckets"]
    )
    daily = Chart(
        "daily",
        f"Created vs completed per day (last {stats['window']['days']} days)",
        [
            ("day", "Day"),
            ("created", "Created"),
            ("completed", "Completed"),
            ("cancelled", "Cancelled"),
        ],
        stats["daily"],
    )
    durations = Chart(
        "durations",
        "Time to claim and to complete (tasks completed in the window)",
        [
            ("measure", "Measure"),
            ("count", "Tasks"),
            ("median", "Median"),
            ("p90", "90th percentile"),
        ],
        [
            {
                "measure": name,
                "count": figures["count"],
                "median": quantiles.describe_seconds(figures["median_seconds"]),
                "p90": quantiles.describe_seconds(figures["p90_seconds"]),
                "median_hours": _hours(figures["median_seconds"]),
                "p90_hours": _hours(figures["p90_seconds"]),
            }
            for name, figures in (
                ("Time to claim", stats["durations"]["claim"]),
                ("Time to complete", stats["durations"]["complete"]),
            )
        ],
    )
    breaches = Chart(
        "breaches",
        "Due-date breaches by group (completed late, in the window)",
        [("group", "Group"), ("completed", "Completed"), ("breached", "Completed late")],
        stats["breaches_by_group"],
    )
    sources = Chart(
        "sources",
        "Write-back and poll failures per source",
        [
            ("source", "Source"),
            ("writeback_pending", "Write-backs pending"),
            ("writeback_oldest_pending_seconds", "Oldest pending (s)"),
            ("writeback_failed", "Write-backs failed"),
            ("poll_consecutive_failures", "Poll failures in a row"),
        ],
        stats["sources"],
    )
    if with_svg:
        ages.svg = charts.bar_chart(ages.title, ages.rows, "bucket", [("open", "Open")])
        daily.svg = charts.column_chart(
            daily.title, daily.rows, "day", [("created", "Created"), ("completed", "Completed")]
        )
        durations.svg = charts.bar_chart(
            durations.title,
            durations.rows,
            "measure",
            [("median_hours", "Median (hours)"), ("p90_hours", "90th percentile (hours)")],
        )
        breaches.svg = charts.bar_chart(
            breaches.title,
            breaches.rows,
            "group",
            [("completed", "Completed"), ("breached", "Late")],
        )
        sources.svg = charts.bar_chart(
            sources.title,
            sources.rows,
            "source",
            [
                ("writeback_pending", "Pending"),
                ("writeback_failed", "Failed"),
                ("poll_consecutive_failures", "Poll failures"),
            ],
        )
    applied = stats["filters"]
    open_only = [name for name in ("status", "due") if applied[name]]
    if open_only:
        for chart in (daily, durations, breaches):
            chart.note = (
                f"Not narrowed by {' or '.join(open_only)}: counts tasks created, completed "
                "and cancelled in the window, whatever their status now."
            )
    per_task = [
        name
        for name, on in (
            ("group", applied["group"] or applied["unrouted"]),
            ("type", applied["type"]),
            ("status", applied["status"]),
            ("due", applied["due"]),
        )
        if on
    ]
    per_task += [item["filter"] for item in stats["list_filters"]]
    if per_task:
        sources.note = f"Per engine: not narrowed by {', '.join(per_task)}."
    result += [ages, daily, durations, breaches]
    if not stats["team_view"]:
        result.append(sources)
    return result


def _hours(seconds: int | None) -> float:
    return 0 if seconds is None else round(seconds / 3600, 2)
