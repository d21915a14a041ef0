# bg_component(LIB PROGRAM OUTPUT DEPS...): every .c of the current directory except main.c
# becomes the static library LIB (so unit tests can link the modules); main.c, when present,
# becomes the program OUTPUT linked against it.
function(bg_component lib program output)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(REMOVE_ITEM sources ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
  if(sources)
    add_library(${lib} STATIC ${sources})
    target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${lib} PUBLIC ${ARGN})
  else()
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${lib} INTERFACE ${ARGN})
  endif()
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
    add_executable(${program} main.c)
    set_target_properties(${program} PROPERTIES OUTPUT_NAME ${output}
                          RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
    target_link_libraries(${program} PRIVATE ${lib})
  endif()
endfunction()
