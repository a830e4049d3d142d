trellis_fuzz_target(mqtt_codec SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/mqtt_codec.cpp LIBS trellis_mqtt)
