"""The demo logins of the machina site: the bundled demo's names and password, as plain
constants (scripts/run_dev.py prints them without Django)."""

DEMO_PASSWORD = "demo-pass-123"

MEMBERS = [
    # username, role, what to try with it
    ("admin", "staff", "staff: admin site, machina's moderation (delete a deal topic: its offer is cancelled)"),
    ("mod", "moderator", "moderator: lock, move, delete topics"),
    ("alice", "member", "member"),
    ("bob", "member", "member"),
    ("greengrocer", "merchant", "verified merchant: runs the deals (one of each kind) in the Deals forum"),
]
