# Debian packages, made with `cpack -G DEB` in the build folder:
#   cache-tier      the server: /usr/bin/cache-tier, a hardened systemd unit,
#                   /etc/cache-tier/cache-tier.json and /etc/logrotate.d/cache-tier
#                   (conffiles), /var/cache/cache-tier
#   cache-tier-dev  the client library: headers, static library, CMake package, pkg-config file
# The files only the package carries (unit, config, docs) are EXCLUDE_FROM_ALL:
# `cmake --install` into a prefix leaves /etc and /lib alone.
set(_debian ${PROJECT_SOURCE_DIR}/deploy/debian)

install(FILES ${_debian}/cache-tier.service DESTINATION /lib/systemd/system COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${_debian}/cache-tier.json DESTINATION /etc/cache-tier COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${_debian}/logrotate DESTINATION /etc/logrotate.d RENAME cache-tier COMPONENT server EXCLUDE_FROM_ALL)
install(DIRECTORY DESTINATION /var/cache/cache-tier COMPONENT server EXCLUDE_FROM_ALL)

# Debian policy §12.5-12.7: each package has its copyright and changelog in /usr/share/doc/<package>.
foreach(_package cache-tier cache-tier-dev)
  set(_component server)
  if(_package STREQUAL "cache-tier-dev")
    set(_component client)
  endif()
  set(_doc ${CMAKE_CURRENT_BINARY_DIR}/debian-doc/${_package})
  file(MAKE_DIRECTORY ${_doc})
  execute_process(COMMAND gzip -9 -n -c ${_debian}/changelog OUTPUT_FILE ${_doc}/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
  install(FILES ${_debian}/copyright ${_doc}/changelog.gz
    DESTINATION /usr/share/doc/${_package} COMPONENT ${_component} EXCLUDE_FROM_ALL)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
  DESTINATION /usr/share/doc/cache-tier COMPONENT server EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cache-tier)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "cache-tier maintainers <maintainers@cache-tier.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server client)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME cache-tier)
set(CPACK_COMPONENT_SERVER_DESCRIPTION "serve static files from a machine with cheap bandwidth
cache-tier keeps local copies of an origin's files (HTTP, S3, a directory),
fills them in the background with one fetch per file, and serves them with
sendfile, ranges and conditional requests.")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  "${_debian}/conffiles;${_debian}/postinst;${_debian}/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME cache-tier-dev)
set(CPACK_DEBIAN_CLIENT_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_CLIENT_DESCRIPTION "client library of cache-tier (development files)
Headers, static library, CMake package (cache_tier::client) and pkg-config
file of the library a web site uses to ask cache-tier whether a file is cached.")
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS "libcurl4-openssl-dev")

include(CPack)
