# Warnings, hardening, sanitizers and fuzzing instrumentation (STYLE.md §2.11, §2.12).
add_compile_definitions(_GNU_SOURCE TANDEM_VERSION="${PROJECT_VERSION}")

set(TANDEM_WARNINGS
	-Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wwrite-strings
)
if(TANDEM_WERROR)
	list(APPEND TANDEM_WARNINGS -Werror)
endif()

# Hardening. _FORTIFY_SOURCE needs optimisation; sanitizer builds run at -O1 and skip it.
set(TANDEM_HARDENING -fstack-protector-strong -fPIE)
if(NOT TANDEM_SANITIZE)
	list(APPEND TANDEM_HARDENING -D_FORTIFY_SOURCE=2)
endif()

set(TANDEM_SAN_FLAGS "")
if(TANDEM_SANITIZE)
	set(TANDEM_SAN_FLAGS -fsanitize=${TANDEM_SANITIZE} -fno-omit-frame-pointer
		-fno-sanitize-recover=all)
	add_compile_options(-O1 -g)
	add_link_options(-fsanitize=${TANDEM_SANITIZE})
endif()

if(TANDEM_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
		message(FATAL_ERROR "TANDEM_FUZZ needs clang (libFuzzer); set CC=clang")
	endif()
	# Everything is instrumented for coverage; only the fuzz targets link libFuzzer's main.
	list(APPEND TANDEM_SAN_FLAGS -fsanitize=fuzzer-no-link)
endif()

add_compile_options(${TANDEM_SAN_FLAGS})
add_link_options(-pie -Wl,-z,relro,-z,now)

# Project code gets the full warning set; generated protobuf-c code does not.
function(tandem_target_warnings tgt)
	target_compile_options(${tgt} PRIVATE ${TANDEM_WARNINGS} ${TANDEM_HARDENING})
endfunction()
