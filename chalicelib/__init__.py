"""mbc-connect core: everything app.py delegates to. Importing this package is cheap on purpose."""
