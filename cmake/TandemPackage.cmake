# Installation and the Debian package (docs/deploy.md): `cpack -G DEB` in the build tree makes
# tandem_<version>_<arch>.deb with the three programs, the systemd unit, an example
# configuration and the man pages, which scdoc renders here from man/*.scd.

# Debian layout whatever CMAKE_INSTALL_PREFIX says: programs in /usr/sbin (tandemd finds
# tandem-engine next to itself), the unit in /lib/systemd/system, the example under /etc.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
install(TARGETS tandemd tandem-engine hactl RUNTIME DESTINATION sbin COMPONENT tandem)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/tandemd.service
	DESTINATION /lib/systemd/system COMPONENT tandem)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/tandem.conf.example
	DESTINATION /etc/tandem COMPONENT tandem)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/tandem.conf.example
	DESTINATION share/doc/tandem/examples RENAME tandem.conf COMPONENT tandem)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/deploy.md
	${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/docs/hactl.md
	DESTINATION share/doc/tandem COMPONENT tandem)

# man pages: scdoc source -> roff, gzipped as Debian ships them
find_program(SCDOC scdoc REQUIRED)
find_program(GZIP gzip REQUIRED)
set(_tandem_man)
foreach(_page tandemd.8 tandem-engine.8 hactl.8 tandem.conf.5)
	string(REGEX MATCH "[0-9]$" _sec ${_page})
	set(_out ${CMAKE_CURRENT_BINARY_DIR}/man/${_page}.gz)
	add_custom_command(OUTPUT ${_out}
		COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
		COMMAND ${SCDOC} < ${PROJECT_SOURCE_DIR}/man/${_page}.scd > ${CMAKE_CURRENT_BINARY_DIR}/man/${_page}
		COMMAND ${GZIP} -9nf ${CMAKE_CURRENT_BINARY_DIR}/man/${_page}
		DEPENDS ${PROJECT_SOURCE_DIR}/man/${_page}.scd
		COMMENT "scdoc ${_page}" VERBATIM)
	list(APPEND _tandem_man ${_out})
	install(FILES ${_out} DESTINATION share/man/man${_sec} COMPONENT tandem)
endforeach()
add_custom_target(tandem_man ALL DEPENDS ${_tandem_man})

# the package
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL tandem) # one package with everything above, nothing else
set(CPACK_PACKAGE_NAME tandem)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "tandem")
set(CPACK_PACKAGE_CONTACT "tandem maintainers <tandem@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "high-availability IPsec gateway cluster")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
	"high-availability IPsec gateway cluster\nIKEv2 gateway nodes that replicate their IKE and Child SAs over corosync so\n that a standby takes over the active node's tunnels without renegotiation.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# shared libraries found by dpkg-shlibdeps (libssl3, libevent, libmnl0, libprotobuf-c1,
# libcpg4, libquorum5, libsystemd0, libc6), plus the daemon tandemd replicates over
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "corosync (>= 3.1)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
	${PROJECT_SOURCE_DIR}/packaging/conffiles
	${PROJECT_SOURCE_DIR}/packaging/postinst
	${PROJECT_SOURCE_DIR}/packaging/prerm
	${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
