# Installing naq and packaging it:
#   cmake --install build [--prefix P]   bin/naq, lib/libnaq, include/naq, lib/cmake/naq
#                                        (find_package(naq) -> naq::naq), lib/pkgconfig/naq.pc,
#                                        systemd units, etc/naq/naq.yaml (/etc for prefix /usr)
#   cd build && cpack -G DEB             naq_<version>_<arch>.deb with the Debian runtime deps
# docs/deploy.md describes both. tests/packaging/ checks them.
include(CMakePackageConfigHelpers)

set(NAQ_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/naq CACHE STRING
    "where naqConfig.cmake goes, relative to the prefix")
option(NAQ_INSTALL_SYSTEM_FILES "install the systemd units and etc/naq/naq.yaml" ON)

# ---- CMake package: naqConfig.cmake, naqConfigVersion.cmake, naqTargets*.cmake
install(EXPORT naqTargets NAMESPACE naq:: DESTINATION ${NAQ_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/naqConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/naqConfig.cmake
                              INSTALL_DESTINATION ${NAQ_INSTALL_CMAKEDIR})
# 0.x: every minor version may break the API; from 1.0 on, the same major is compatible.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(naq_compatibility SameMinorVersion)
else()
  set(naq_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/naqConfigVersion.cmake
                                 COMPATIBILITY ${naq_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/naqConfig.cmake ${PROJECT_BINARY_DIR}/naqConfigVersion.cmake
        DESTINATION ${NAQ_INSTALL_CMAKEDIR})

# ---- pkg-config: relocatable (paths relative to the .pc file)
file(RELATIVE_PATH NAQ_PC_RELATIVE_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" NAQ_PC_RELATIVE_PREFIX "${NAQ_PC_RELATIVE_PREFIX}")
list(TRANSFORM CMAKE_DL_LIBS PREPEND "-l" OUTPUT_VARIABLE naq_dl_flags)
string(JOIN " " NAQ_PC_LIBS_PRIVATE -lnats -lsimdjson -lyaml-cpp -ldate-tz -lcpp-httplib -lcrypto ${naq_dl_flags} -pthread)
configure_file(${PROJECT_SOURCE_DIR}/cmake/naq.pc.in ${PROJECT_BINARY_DIR}/naq.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/naq.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- services: systemd units, the config file, the naq system user; the docs
if(NAQ_INSTALL_SYSTEM_FILES)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/NaqInstallSystemFiles.cmake.in
                 ${PROJECT_BINARY_DIR}/NaqInstallSystemFiles.cmake @ONLY)
  install(SCRIPT ${PROJECT_BINARY_DIR}/NaqInstallSystemFiles.cmake)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/sysusers.d/naq.conf DESTINATION lib/sysusers.d)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# ---- CPack: cpack -G DEB (from the build directory)
set(CPACK_PACKAGE_NAME naq)
set(CPACK_PACKAGE_VENDOR naq)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "naq maintainers <maintainers@naq.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "distributed job queue on NATS JetStream")
set(CPACK_PACKAGE_DESCRIPTION
    "naq runs background jobs: producers put jobs on queues (C++, the naq command line or any\n\
language that publishes JSON to NATS), worker daemons run them with retries, timeouts and dead\n\
letters, and results and status are kept in JetStream key-value buckets. This package has the\n\
naq binary, libnaq with its headers, CMake and pkg-config files, and systemd units.")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
# The package installs into /usr with /etc/naq/naq.yaml: the install runs with prefix /usr under
# DESTDIR, so that NaqInstallSystemFiles.cmake sees the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime packages of every library bin/naq and libnaq link directly (objdump -p: NEEDED), as
# Debian 12 names them; tests/packaging/check-deb.sh fails when one is missing.
set(NAQ_DEBIAN_DEPENDS
    "libnats3.4 (>= 3.4.1)" "libsimdjson14 (>= 3.0.1)" "libspdlog1.10 (>= 1:1.10.0)" "libfmt9 (>= 9.1.0)" "libyaml-cpp0.7 (>= 0.7.0)"
    "libdate-tz3 (>= 3.0.1)" "libcpp-httplib0.11 (>= 0.11.4)" "libssl3 (>= 3.0.0)" "libstdc++6 (>= 12)" "libgcc-s1 (>= 3.0)"
    "libc6 (>= 2.34)")
string(JOIN ", " CPACK_DEBIAN_PACKAGE_DEPENDS ${NAQ_DEBIAN_DEPENDS})
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nats-server")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nlohmann-json3-dev, libspdlog-dev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
                                       ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
                                       ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
                                       ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
