# Third-party libraries (docs/dependencies.md says why each one).
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core libevent_extra)
pkg_check_modules(LIBMNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(COROSYNC REQUIRED IMPORTED_TARGET libcpg libquorum)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_program(PROTOC_C protoc-c REQUIRED)
