# make test-deb: build the Debian package, lintian it, install, check, remove and purge it here
# (tests/package/test-deb.sh; needs root).
.PHONY: test-deb
test-deb:
	tests/package/test-deb.sh
