// SUBSCRIBE and UNSUBSCRIBE by topic name (wildcards allowed), predefined
// topic id, or short topic name (6.9, 6.10).
#include <algorithm>

#include "adapters/mqttsn/gateway_core.hpp"
#include "core/log.hpp"
#include "core/topic.hpp"

namespace trellis::mqttsn {

namespace {

// The bus filter a TopicRef names, or the return code refusing it.
struct Resolved {
  std::string filter;
  ReturnCode rc = ReturnCode::accepted;
};

Resolved resolve(const TopicRef& ref, const PredefinedTopics& predefined) {
  Resolved r;
  if (auto* n = std::get_if<TopicName>(&ref)) {
    r.filter = n->name;
  } else if (auto* p = std::get_if<PredefinedTopicId>(&ref)) {
    const std::string* name = predefined.name(p->id);
    if (!name) return Resolved{{}, ReturnCode::invalid_topic_id};
    r.filter = *name;
  } else {
    r.filter = std::get<ShortTopicName>(ref).str();
  }
  if (!topic::validate_filter(r.filter)) r.rc = ReturnCode::invalid_topic_id;
  return r;
}

}  // namespace

void GatewayCore::on_subscribe(Client& client, const Subscribe& s, Actions& out) {
  Resolved r = resolve(s.topic, predefined_);
  auto granted = static_cast<uint8_t>(std::clamp<int>(s.qos, 0, 2));
  if (r.rc != ReturnCode::accepted) {
    TLOG_LIMITED(info, "mqttsn") << "subscribe refused" << log::kv("client", client.client_id)
                                 << log::kv("filter", r.filter)
                                 << log::kv("reason", "invalid topic");
    return send(client, Suback{0, 0, s.msg_id, r.rc}, out);
  }

  // The TopicId in SUBACK: the predefined id, or for a plain name the id the
  // gateway will publish with; 0 for wildcards and short names (5.4.16).
  uint16_t topic_id = 0;
  if (auto* p = std::get_if<PredefinedTopicId>(&s.topic)) {
    topic_id = p->id;
  } else if (std::holds_alternative<TopicName>(s.topic) && !topic::has_wildcard(r.filter)) {
    auto id = client.topics.assign(r.filter);
    if (!id) {
      TLOG_LIMITED(info, "mqttsn")
          << "subscribe refused" << log::kv("client", client.client_id)
          << log::kv("filter", r.filter) << log::kv("reason", "congestion");
      return send(client, Suback{0, 0, s.msg_id, ReturnCode::congestion}, out);
    }
    client.topics.set_known(*id, true);
    topic_id = *id;
  }

  client.subscriptions[r.filter] = granted;
  TLOG(debug, "mqttsn") << "subscribed" << log::kv("client", client.client_id)
                        << log::kv("filter", r.filter) << log::kv("qos", static_cast<int>(granted));
  out.push_back(SubscribeAction{client.session, r.filter, granted});
  send(client, Suback{static_cast<int8_t>(granted), topic_id, s.msg_id, ReturnCode::accepted}, out);
}

void GatewayCore::on_unsubscribe(Client& client, const Unsubscribe& u, Actions& out) {
  Resolved r = resolve(u.topic, predefined_);
  if (r.rc == ReturnCode::accepted && client.subscriptions.erase(r.filter) != 0) {
    out.push_back(UnsubscribeAction{client.session, r.filter});
    TLOG(debug, "mqttsn") << "unsubscribed" << log::kv("client", client.client_id)
                          << log::kv("filter", r.filter);
  }
  // UNSUBACK has no return code: it is sent whatever was named.
  send(client, Unsuback{u.msg_id}, out);
}

}  // namespace trellis::mqttsn
