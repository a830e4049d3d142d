trellis_fuzz_target(lwm2m_registration SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_registration.cpp LIBS trellis_lwm2m)
