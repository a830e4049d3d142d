trellis_fuzz_target(mqttsn_gateway SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/mqttsn_gateway.cpp LIBS trellis_mqttsn)
