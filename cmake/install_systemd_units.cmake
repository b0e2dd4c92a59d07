# Installs contrib/systemd's units with their ExecStart paths pointing at the programs this install
# puts in <prefix>/<bindir>. The units in the repository name /usr/local/bin (the default prefix),
# so that they can also be copied by hand; the prefix is only known when `cmake --install` runs
# (--prefix overrides the configured one), so the rewriting happens here, at install time.
# Included by the install script CMakeLists.txt generates, with SPOKE_UNIT_SOURCES (the units),
# SPOKE_UNIT_STAGING (a directory of the build tree) and SPOKE_UNIT_BINDIR set.
if(IS_ABSOLUTE "${SPOKE_UNIT_BINDIR}")
  set(bindir "${SPOKE_UNIT_BINDIR}")
else()
  set(bindir "${CMAKE_INSTALL_PREFIX}/${SPOKE_UNIT_BINDIR}")
endif()
set(staged "")
foreach(unit IN LISTS SPOKE_UNIT_SOURCES)
  get_filename_component(name "${unit}" NAME)
  file(READ "${unit}" text)
  string(REPLACE "ExecStart=/usr/local/bin/" "ExecStart=${bindir}/" text "${text}")
  file(WRITE "${SPOKE_UNIT_STAGING}/${name}" "${text}")
  list(APPEND staged "${SPOKE_UNIT_STAGING}/${name}")
endforeach()
# file(INSTALL) honours DESTDIR, prints what it installs and records it in install_manifest.txt.
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE FILES ${staged})
