trellis_fuzz_target(lwm2m_tlv SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_tlv.cpp LIBS trellis_lwm2m)
