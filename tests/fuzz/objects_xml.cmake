trellis_fuzz_target(objects_xml SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/objects_xml.cpp LIBS trellis_objects)
