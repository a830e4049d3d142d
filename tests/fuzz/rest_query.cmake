trellis_fuzz_target(rest_query SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/rest_query.cpp LIBS trellis_webapi)
