trellis_fuzz_target(lwm2m_senml_json SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_senml_json.cpp LIBS trellis_lwm2m)
