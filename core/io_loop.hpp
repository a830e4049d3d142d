#pragma once
// Runs an io_context on the calling thread until it stops or runs out of
// work, as io_context::run does.
//
// With a busy-poll window, a thread that has run out of ready work keeps
// polling for that long before it sleeps in the kernel. Waking a sleeping
// thread goes through the scheduler (on a virtual machine, an interrupt
// between virtual CPUs through the hypervisor), and at a paced message rate
// that wake-up is most of a message's latency through the broker. Polling
// takes it off the path while traffic keeps arriving within the window; the
// price is up to one window of CPU time per wake-up it saves, so it is off
// unless configured.
#include <boost/asio/io_context.hpp>
#include <chrono>

namespace trellis {

void run_io(boost::asio::io_context& io, std::chrono::microseconds busy_poll);

}  // namespace trellis
