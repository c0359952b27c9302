"""Age buckets of open tasks (durations are sketches: ``ops.quantiles``)."""

DAY = 86400

# Ages of open tasks: (label, lower bound in seconds).
AGES = (
    ("under 1 day", 0),
    ("1–3 days", DAY),
    ("3–7 days", 3 * DAY),
    ("7–30 days", 7 * DAY),
    ("over 30 days", 30 * DAY),
)
