trellis_fuzz_target(lwm2m_command SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/lwm2m_command.cpp LIBS trellis_lwm2m nlohmann_json::nlohmann_json)
