trellis_fuzz_target(lwm2m_senml_cbor SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_senml_cbor.cpp LIBS trellis_lwm2m)
