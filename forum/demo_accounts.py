"""The demo logins: plain constants, so the run script can print them without Django."""

DEMO_PASSWORD = "demo-pass-123"

MEMBERS = [
    # username, role, what to try with it
    ("admin", "staff", "staff: admin site, moderation"),
    ("mod", "moderator", "moderator: pin, lock, move, delete, reports"),
    ("alice", "member", "member"),
    ("bob", "member", "member"),
    ("greengrocer", "member", "member who runs the local greengrocer (verified merchant once deals land)"),
]
