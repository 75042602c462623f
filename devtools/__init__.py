"""Local development and test tooling. Never shipped to Lambda (only app.py and chalicelib/ are)."""
