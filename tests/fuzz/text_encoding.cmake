trellis_fuzz_target(text_encoding SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/text_encoding.cpp LIBS trellis_core)
