trellis_fuzz_target(lwm2m_json SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_json.cpp LIBS trellis_lwm2m)
