trellis_fuzz_target(mqttsn_codec SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/mqttsn_codec.cpp LIBS trellis_mqttsn)
