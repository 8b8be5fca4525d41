# Every project header must compile on its own (STYLE.md §2.3): one generated .c per header,
# built into an object library that nothing links.
file(GLOB_RECURSE TANDEM_HEADERS RELATIVE ${PROJECT_SOURCE_DIR}
	${PROJECT_SOURCE_DIR}/node/*.h ${PROJECT_SOURCE_DIR}/sync/*.h ${PROJECT_SOURCE_DIR}/ha/*.h)
set(_hc_srcs "")
foreach(h ${TANDEM_HEADERS})
	string(MAKE_C_IDENTIFIER "${h}" id)
	set(src ${PROJECT_BINARY_DIR}/header-check/${id}.c)
	file(CONFIGURE OUTPUT ${src} CONTENT "#include \"${h}\"\n")
	list(APPEND _hc_srcs ${src})
endforeach()
if(_hc_srcs)
	add_library(header_check OBJECT ${_hc_srcs})
	target_include_directories(header_check PRIVATE ${PROJECT_SOURCE_DIR}
		${PROJECT_BINARY_DIR}/proto)
	target_link_libraries(header_check PRIVATE PkgConfig::LIBEVENT PkgConfig::LIBMNL
		PkgConfig::PROTOBUFC OpenSSL::Crypto)
	add_dependencies(header_check tandem_proto)
	tandem_target_warnings(header_check)
endif()
