trellis_fuzz_target(telemetry_payload SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/telemetry_payload.cpp LIBS trellis_db)
