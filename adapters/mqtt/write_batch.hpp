#pragma once
// Bytes waiting to be written to one connection: control packets and PUBLISH
// headers back to back in one buffer, with shared payloads referenced in place
// rather than copied, so one gather write sends many packets.
#include <boost/asio/buffer.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.hpp"

namespace trellis::mqtt {

class WriteBatch {
 public:
  // Payloads up to this size are copied inline: an iovec costs more than the copy.
  static constexpr std::size_t inline_payload_max = 512;

  std::string& bytes() { return bytes_; }
  void append(std::string_view b) { bytes_.append(b); }
  void append_payload(const Payload& p) {
    if (!p || p->empty()) return;
    if (p->size() <= inline_payload_max) {
      bytes_.append(*p);
    } else {
      pieces_.push_back(Piece{bytes_.size(), p});
    }
  }
  bool empty() const { return bytes_.empty() && pieces_.empty(); }
  std::size_t size() const {
    std::size_t n = bytes_.size();
    for (const auto& p : pieces_) n += p.payload->size();
    return n;
  }

  void buffers(std::vector<boost::asio::const_buffer>& out) const {
    out.clear();
    std::size_t pos = 0;
    for (const auto& p : pieces_) {
      if (p.offset > pos) out.emplace_back(bytes_.data() + pos, p.offset - pos);
      out.emplace_back(p.payload->data(), p.payload->size());
      pos = p.offset;
    }
    if (bytes_.size() > pos) out.emplace_back(bytes_.data() + pos, bytes_.size() - pos);
  }

  // Empties the batch; memory beyond a small reserve goes back, so an idle
  // connection holds little.
  void clear() {
    pieces_.clear();
    if (bytes_.capacity() > 16 * 1024) {
      std::string().swap(bytes_);
    } else {
      bytes_.clear();
    }
  }
  void release() {
    std::string().swap(bytes_);
    std::vector<Piece>().swap(pieces_);
  }

  void swap(WriteBatch& other) noexcept {
    bytes_.swap(other.bytes_);
    pieces_.swap(other.pieces_);
  }

 private:
  struct Piece {
    std::size_t offset;  // the payload goes after bytes_[0, offset)
    Payload payload;
  };
  std::string bytes_;
  std::vector<Piece> pieces_;
};

}  // namespace trellis::mqtt
