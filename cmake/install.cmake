# `cmake --install build --prefix P`: librnnjit, the public headers (P/include/rnnjit/), the CMake
# package (find_package(rnnjit) -> rnnjit::rnnjit), rnnjit.pc for pkg-config, and the rnnjit CLI.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

target_include_directories(rnnjit_lib INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(rnnjit_lib PROPERTIES EXPORT_NAME rnnjit)
# Installed binaries find librnnjit beside them (lib/ next to bin/), wherever the prefix is.
set_target_properties(rnnjit_lib rnnjit PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

install(TARGETS rnnjit_lib EXPORT rnnjitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rnnjit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${RNNJIT_ROOT}/include/rnnjit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# A static librnnjit needs its dependencies at the consumer's link: the package finds them again
# (rnnjitConfig.cmake) and rnnjit.pc lists them. A shared one carries them itself.
if(RNNJIT_STATIC)
  set(RNNJIT_PC_LIBS_PRIVATE "-lyaml-cpp -lfmt -lcairo -lgif -ldl -lpthread")
  if(RNNJIT_WITH_LLVM)
    string(APPEND RNNJIT_PC_LIBS_PRIVATE " -L${LLVM_LIBRARY_DIR} -lLLVM")
  endif()
  set(RNNJIT_PC_STATIC_LIBS ${RNNJIT_PC_LIBS_PRIVATE})
else()
  set(RNNJIT_PC_STATIC_LIBS "")
endif()
set(RNNJIT_PACKAGE_STATIC ${RNNJIT_STATIC})
set(RNNJIT_PACKAGE_LLVM ${RNNJIT_WITH_LLVM})
set(RNNJIT_PACKAGE_LLVM_DIR ${LLVM_DIR})

install(EXPORT rnnjitTargets NAMESPACE rnnjit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rnnjit)
configure_package_config_file(${RNNJIT_ROOT}/cmake/rnnjitConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/rnnjitConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rnnjit)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rnnjitConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rnnjitConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/rnnjitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rnnjit)
# rnnjit.pc finds the prefix from where it lies, so it is right for any --prefix at install time.
file(RELATIVE_PATH RNNJIT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${RNNJIT_ROOT}/cmake/rnnjit.pc.in ${CMAKE_CURRENT_BINARY_DIR}/rnnjit.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rnnjit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
