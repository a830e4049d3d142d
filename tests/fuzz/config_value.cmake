trellis_fuzz_target(config_value SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/config_value.cpp LIBS trellis_config)
