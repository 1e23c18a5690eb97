# Installs deploy/systemd's units (cmake --install, via install(SCRIPT)): the units are
# written for the default prefix, so /usr/local/bin/, /usr/local/sbin/,
# /usr/local/share/doc/planreg/ and /usr/local/lib/sysusers.d/ become the prefix's.
# Everything else (/etc/planreg, ...) is left as it is.
# Set by install(CODE) in the top-level CMakeLists.txt: PLANREG_UNITS, PLANREG_UNIT_BUILD_DIR,
# PLANREG_BINDIR, PLANREG_SBINDIR, PLANREG_DOCDIR, PLANREG_UNITDIR, PLANREG_SYSUSERSDIR.
# a unit needs absolute paths: `--prefix stage` means stage under the directory cmake runs in
# (CMAKE_CURRENT_SOURCE_DIR in an install script), where file(INSTALL) puts it too
get_filename_component(prefix "${CMAKE_INSTALL_PREFIX}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
foreach(var BINDIR SBINDIR DOCDIR UNITDIR SYSUSERSDIR)
  if(IS_ABSOLUTE "${PLANREG_${var}}")
    set(${var} "${PLANREG_${var}}")
  else()
    set(${var} "${prefix}/${PLANREG_${var}}")
  endif()
endforeach()
# a directory per destination: two installs of one build at once (tests) must not share files
string(MD5 where "$ENV{DESTDIR}|${UNITDIR}|${BINDIR}|${SBINDIR}|${DOCDIR}|${SYSUSERSDIR}")
set(PLANREG_UNIT_BUILD_DIR "${PLANREG_UNIT_BUILD_DIR}/${where}")
file(MAKE_DIRECTORY "${PLANREG_UNIT_BUILD_DIR}")
set(made "")
foreach(unit IN LISTS PLANREG_UNITS)
  get_filename_component(name "${unit}" NAME)
  file(READ "${unit}" text)
  string(REPLACE "/usr/local/sbin/" "${SBINDIR}/" text "${text}")
  string(REPLACE "/usr/local/bin/" "${BINDIR}/" text "${text}")
  string(REPLACE "/usr/local/share/doc/planreg/" "${DOCDIR}/" text "${text}")
  string(REPLACE "/usr/local/lib/sysusers.d/" "${SYSUSERSDIR}/" text "${text}")
  file(WRITE "${PLANREG_UNIT_BUILD_DIR}/${name}" "${text}")
  list(APPEND made "${PLANREG_UNIT_BUILD_DIR}/${name}")
endforeach()
file(INSTALL DESTINATION "${UNITDIR}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES ${made})
