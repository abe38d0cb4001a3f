"""Browser tests: the real review app driven in Debian's Chromium through Playwright."""
