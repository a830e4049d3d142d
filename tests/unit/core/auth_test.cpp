#include "core/auth.hpp"

#include <gtest/gtest.h>

using namespace trellis;

TEST(Acl, DeviceMayUseOnlyItsOwnTree) {
  Principal p{PrincipalKind::device, "dev1", "dev1", Acl{{"%c/#"}, {"%c/#"}, {}}};
  EXPECT_TRUE(p.may_publish("dev1/messages/json", "dev1"));
  EXPECT_FALSE(p.may_publish("dev2/messages/json", "dev1"));
  EXPECT_TRUE(p.may_subscribe("dev1/tasks/json", "dev1"));
  EXPECT_TRUE(p.may_subscribe("dev1/#", "dev1"));
  EXPECT_FALSE(p.may_subscribe("#", "dev1"));
  EXPECT_FALSE(p.may_subscribe("+/tasks/json", "dev1"));
}

TEST(Acl, SubstitutionWithWildcardCharactersNeverWidens) {
  Principal p{PrincipalKind::anonymous, "", "", Acl{{"%c/#"}, {"%c/#"}, {}}};
  EXPECT_FALSE(p.may_subscribe("+/#", "+"));
  EXPECT_FALSE(p.may_publish("a/b", "a/b"));
}

TEST(Acl, DenyWinsOverAllow) {
  Principal p{PrincipalKind::application, "app", "app", Acl{{"#"}, {"#"}, {"secret/#"}}};
  EXPECT_TRUE(p.may_publish("open/x", "c"));
  EXPECT_FALSE(p.may_publish("secret/x", "c"));
  EXPECT_FALSE(p.may_subscribe("secret/+", "c"));
  EXPECT_TRUE(p.may_subscribe("#", "c"));  // wide subscription allowed...
  EXPECT_FALSE(p.may_receive("secret/x", "c"));  // ...but denied topics are not delivered
  EXPECT_TRUE(p.may_receive("open/x", "c"));
}

TEST(Acl, HashInAclPatternsIncludesDollarTopics) {
  Principal p{PrincipalKind::application, "app", "app", Acl::allow_all()};
  EXPECT_TRUE(p.may_subscribe("$SYS/#", "c"));
  EXPECT_TRUE(p.may_publish("$events/x", "c"));
}
