"""What bench.py measures and report.py lays out: the configurations, their labels, the bulk transfers."""

CONFIGS = ["native", "socat", "netnsfs", "handoff", "cproxy"]
LABELS = {
    "native": "native socket",
    "socat": "socat relay",
    "netnsfs": "netnsfs socket file",
    "handoff": "netnsfs handoff",
    "cproxy": "C libfuse proxy",
}
BULK = [("up", 131072), ("down", 131072), ("up", 1048576), ("down", 1048576)]
