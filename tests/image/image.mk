# make test-image: build contrib/Dockerfile and run it against dockerd + etcd.
.PHONY: test-image
test-image: servers
	tests/image/test-image.sh
