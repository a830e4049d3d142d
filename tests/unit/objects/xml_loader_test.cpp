#include "objects/xml_loader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trellis::objects {
namespace {

// One object with a readable resource and an executable one, laid out as the
// schema orders the elements (LWM2M-v1_1.xsd). Each malformed test changes
// exactly one fragment of it.
constexpr const char* kValid = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://openmobilealliance.org/tech/profiles/LWM2M-v1_1.xsd">
  <Object ObjectType="MODefinition">
    <Name>Temperature</Name>
    <Description1>A temperature sensor.</Description1>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303:1.1</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.1</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700">
        <Name>Sensor Value</Name>
        <Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Float</Type>
        <RangeEnumeration>-40..85</RangeEnumeration>
        <Units>Cel</Units>
        <Description>Last measured value.</Description>
      </Item>
      <Item ID="5605">
        <Name>Reset Min and Max Measured Values</Name>
        <Operations>E</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Optional</Mandatory>
        <Type></Type>
        <RangeEnumeration></RangeEnumeration>
        <Units></Units>
        <Description><![CDATA[Sets min & max to the <current> value.]]></Description>
      </Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
)";

// kValid with the first occurrence of `from` replaced by `to`.
std::string with(std::string_view from, std::string_view to, std::string text = kValid) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fragment not in the document: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The error text of loading `text` as "3303.xml", or "loaded" when it loads.
std::string error_of(const std::string& text) {
  const auto result = load_xml_string(text, "3303.xml");
  return result ? "loaded" : result.error().to_string();
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// ---- well-formed input ----------------------------------------------------

TEST(XmlLoader, LoadsObjectFields) {
  const auto result = load_xml_string(kValid, "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  ASSERT_EQ(result.value().size(), 1u);
  const ObjectDefinition& o = result.value()[0];
  EXPECT_EQ(o.id, 3303);
  EXPECT_EQ(o.name, "Temperature");
  EXPECT_EQ(o.description, "A temperature sensor.");
  EXPECT_EQ(o.urn, "urn:oma:lwm2m:ext:3303:1.1");
  EXPECT_EQ(o.lwm2m_version, "1.0");
  EXPECT_EQ(o.object_version, "1.1");
  EXPECT_TRUE(o.multiple_instances);
  EXPECT_FALSE(o.mandatory);
  EXPECT_EQ(o.resources.size(), 2u);
}

TEST(XmlLoader, LoadsResourceFields) {
  const auto result = load_xml_string(kValid, "3303.xml");
  ASSERT_TRUE(result);
  const ResourceDefinition* r = result.value()[0].resource(5700);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->id, 5700);
  EXPECT_EQ(r->name, "Sensor Value");
  EXPECT_EQ(r->ops, kRead);
  EXPECT_FALSE(r->multiple);
  EXPECT_TRUE(r->mandatory);
  EXPECT_EQ(r->type, ResourceType::float_);
  EXPECT_EQ(r->range_enumeration, "-40..85");
  EXPECT_EQ(r->numeric_range(), (NumericRange{-40, 85}));
  EXPECT_EQ(r->units, "Cel");
  EXPECT_EQ(r->description, "Last measured value.");
}

TEST(XmlLoader, ExecutableResourceHasNoType) {
  const auto result = load_xml_string(kValid, "3303.xml");
  ASSERT_TRUE(result);
  const ResourceDefinition* r = result.value()[0].resource(5605);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ops, kExecute);
  EXPECT_EQ(r->type, ResourceType::none);
  EXPECT_EQ(r->numeric_range(), std::nullopt);
}

TEST(XmlLoader, CdataDescriptionIsTakenVerbatim) {
  const auto result = load_xml_string(kValid, "3303.xml");
  ASSERT_TRUE(result);
  EXPECT_EQ(result.value()[0].resource(5605)->description,
            "Sets min & max to the <current> value.");
}

TEST(XmlLoader, EmptyOperationsMeansNoAccess) {
  // Object 0 (Security): no LwM2M Server may reach its resources.
  const auto result =
      load_xml_string(with("<Operations>R</Operations>", "<Operations></Operations>"), "0.xml");
  ASSERT_TRUE(result);
  EXPECT_TRUE(result.value()[0].resource(5700)->ops.none());
}

TEST(XmlLoader, SelfClosingElementsReadAsEmpty) {
  const auto result = load_xml_string(
      with("<Units>Cel</Units>", "<Units />", with("<Operations>R</Operations>", "<Operations/>")),
      "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result.value()[0].resource(5700)->units, "");
  EXPECT_TRUE(result.value()[0].resource(5700)->ops.none());
}

TEST(XmlLoader, AcceptsCrlfLineEnds) {
  const auto result = load_xml_string(crlf(kValid), "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result.value()[0], load_xml_string(kValid, "3303.xml").value()[0]);
}

TEST(XmlLoader, CrlfInsideDescriptionBecomesLf) {
  const auto result =
      load_xml_string(crlf(with("Last measured value.", "Last\nmeasured value.")), "3303.xml");
  ASSERT_TRUE(result);
  EXPECT_EQ(result.value()[0].resource(5700)->description, "Last\nmeasured value.");
}

TEST(XmlLoader, AcceptsUtf8ByteOrderMark) {
  const std::string bom = "\xEF\xBB\xBF";
  const auto result = load_xml_string(bom + kValid, "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result.value()[0].id, 3303);
}

TEST(XmlLoader, AcceptsBomWithCrlf) {
  const auto result = load_xml_string("\xEF\xBB\xBF" + crlf(kValid), "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result.value()[0].resources.size(), 2u);
}

TEST(XmlLoader, TrimsWhitespaceAroundValues) {
  const auto result =
      load_xml_string(with("<Type>Float</Type>", "<Type>\n  Float\n</Type>",
                           with("<ObjectID>3303</ObjectID>", "<ObjectID> 3303 </ObjectID>")),
                      "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result.value()[0].id, 3303);
  EXPECT_EQ(result.value()[0].resource(5700)->type, ResourceType::float_);
}

TEST(XmlLoader, AcceptsEverySchemaVersion) {
  for (const char* version : {"1.0", "1.1", "1.2", "1.0.2", "1.1.1"}) {
    const auto result =
        load_xml_string(with("<LWM2MVersion>1.0</LWM2MVersion>",
                             std::string("<LWM2MVersion>") + version + "</LWM2MVersion>"),
                        "3303.xml");
    ASSERT_TRUE(result) << version;
    EXPECT_EQ(result.value()[0].lwm2m_version, version);
  }
}

TEST(XmlLoader, AbsentVersionsDefaultToOneZero) {
  // LWM2M.xsd 1.0.1 made both elements optional; files from before have neither.
  const auto result = load_xml_string(
      with("<LWM2MVersion>1.0</LWM2MVersion>", "", with("<ObjectVersion>1.1</ObjectVersion>", "")),
      "3303.xml");
  ASSERT_TRUE(result);
  EXPECT_EQ(result.value()[0].lwm2m_version, "1.0");
  EXPECT_EQ(result.value()[0].object_version, "1.0");
}

TEST(XmlLoader, AbsentOptionalResourceElementsReadAsEmpty) {
  const auto result =
      load_xml_string(with("<RangeEnumeration>-40..85</RangeEnumeration>", "",
                           with("<Units>Cel</Units>", "",
                                with("<Description>Last measured value.</Description>", ""))),
                      "3303.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  const ResourceDefinition* r = result.value()[0].resource(5700);
  EXPECT_EQ(r->range_enumeration, "");
  EXPECT_EQ(r->units, "");
  EXPECT_EQ(r->description, "");
}

TEST(XmlLoader, LoadsSeveralObjectsFromOneFile) {
  std::string text = kValid;
  const std::string object =
      text.substr(text.find("  <Object "), text.find("</LWM2M>") - text.find("  <Object "));
  text.insert(text.find("</LWM2M>"),
              with("<ObjectID>3303</ObjectID>", "<ObjectID>3304</ObjectID>", object));
  const auto result = load_xml_string(text, "two.xml");
  ASSERT_TRUE(result) << result.error().to_string();
  ASSERT_EQ(result.value().size(), 2u);
  EXPECT_EQ(result.value()[0].id, 3303);
  EXPECT_EQ(result.value()[1].id, 3304);
}

TEST(XmlLoader, IgnoresUnknownElements) {
  const auto result = load_xml_string(
      with("<Description2></Description2>", "<Description2/><Vendor>x</Vendor>"), "3303.xml");
  EXPECT_TRUE(result);
}

TEST(XmlLoader, LoadsFileAndNamesItInErrors) {
  const auto missing = load_xml_file("/nonexistent/3303.xml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, "/nonexistent/3303.xml");
  EXPECT_EQ(missing.error().message.rfind("cannot read file: ", 0), 0u) << missing.error().message;
}

TEST(LoadError, ToStringJoinsFileElementAndMessage) {
  EXPECT_EQ((LoadError{"3303.xml", "Object/Name", "missing element"}).to_string(),
            "3303.xml: Object/Name: missing element");
  EXPECT_EQ((LoadError{"3303.xml", "", "no root element"}).to_string(),
            "3303.xml: no root element");
}

// ---- one test per malformed-input rule ------------------------------------

TEST(XmlLoaderRejects, MalformedXml) {
  // tinyxml2 reports the line of the element left open (<Resources>).
  EXPECT_EQ(error_of(with("</Resources>", "</Resource>")),
            "3303.xml: malformed XML at line 12: XML_ERROR_MISMATCHED_ELEMENT");
}

TEST(XmlLoaderRejects, EmptyDocument) {
  EXPECT_EQ(error_of(""), "3303.xml: malformed XML at line 0: XML_ERROR_EMPTY_DOCUMENT");
}

TEST(XmlLoaderRejects, RootThatIsNotLwm2m) {
  EXPECT_EQ(error_of("<Objects><Object/></Objects>"),
            "3303.xml: Objects: root element is not LWM2M");
}

TEST(XmlLoaderRejects, RootWithoutObject) {
  EXPECT_EQ(error_of("<LWM2M></LWM2M>"), "3303.xml: LWM2M: no Object element");
}

TEST(XmlLoaderRejects, MissingObjectId) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>", "")),
            "3303.xml: Object/ObjectID: missing element");
}

TEST(XmlLoaderRejects, EmptyObjectId) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>", "<ObjectID></ObjectID>")),
            "3303.xml: Object/ObjectID: empty value");
}

TEST(XmlLoaderRejects, NonNumericObjectId) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>", "<ObjectID>33o3</ObjectID>")),
            "3303.xml: Object/ObjectID: not a number '33o3'");
}

TEST(XmlLoaderRejects, ObjectIdAboveUnsignedShort) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>", "<ObjectID>65536</ObjectID>")),
            "3303.xml: Object/ObjectID: out of range '65536' (0..65535)");
}

TEST(XmlLoaderRejects, ObjectIdTooLongForAnyInteger) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>",
                          "<ObjectID>123456789012345678901234567890</ObjectID>")),
            "3303.xml: Object/ObjectID: out of range '123456789012345678901234567890' (0..65535)");
}

TEST(XmlLoaderRejects, NegativeObjectId) {
  EXPECT_EQ(error_of(with("<ObjectID>3303</ObjectID>", "<ObjectID>-1</ObjectID>")),
            "3303.xml: Object/ObjectID: out of range '-1' (0..65535)");
}

TEST(XmlLoaderRejects, DuplicateObjectIdInOneFile) {
  std::string text = kValid;
  const auto begin = text.find("  <Object ");
  const std::string object = text.substr(begin, text.find("</LWM2M>") - begin);
  text.insert(text.find("</LWM2M>"), object);
  EXPECT_EQ(error_of(text), "3303.xml: Object[2]/ObjectID: duplicate object ID 3303");
}

TEST(XmlLoaderRejects, ErrorInSecondObjectNamesItsPosition) {
  std::string text = kValid;
  const auto begin = text.find("  <Object ");
  const std::string object = text.substr(begin, text.find("</LWM2M>") - begin);
  text.insert(text.find("</LWM2M>"),
              with("<ObjectID>3303</ObjectID>", "<ObjectID>x</ObjectID>", object));
  EXPECT_EQ(error_of(text), "3303.xml: Object[2]/ObjectID: not a number 'x'");
}

TEST(XmlLoaderRejects, MissingObjectName) {
  EXPECT_EQ(error_of(with("<Name>Temperature</Name>", "")),
            "3303.xml: Object/Name: missing element");
}

TEST(XmlLoaderRejects, EmptyObjectName) {
  EXPECT_EQ(error_of(with("<Name>Temperature</Name>", "<Name>  </Name>")),
            "3303.xml: Object/Name: empty value");
}

TEST(XmlLoaderRejects, RepeatedObjectName) {
  EXPECT_EQ(error_of(with("<Name>Temperature</Name>", "<Name>Temperature</Name><Name>T</Name>")),
            "3303.xml: Object/Name: element appears more than once");
}

TEST(XmlLoaderRejects, UnsupportedLwm2mVersion) {
  EXPECT_EQ(error_of(with("<LWM2MVersion>1.0</LWM2MVersion>", "<LWM2MVersion>2.0</LWM2MVersion>")),
            "3303.xml: Object/LWM2MVersion: unsupported version '2.0' (1.0 to 1.2)");
}

TEST(XmlLoaderRejects, MalformedObjectVersion) {
  EXPECT_EQ(
      error_of(with("<ObjectVersion>1.1</ObjectVersion>", "<ObjectVersion>v1</ObjectVersion>")),
      "3303.xml: Object/ObjectVersion: malformed version 'v1'");
}

TEST(XmlLoaderRejects, ObjectMultipleInstancesNotSingleOrMultiple) {
  EXPECT_EQ(error_of(with("<MultipleInstances>Multiple</MultipleInstances>",
                          "<MultipleInstances>Many</MultipleInstances>")),
            "3303.xml: Object/MultipleInstances: expected Single or Multiple, got 'Many'");
}

TEST(XmlLoaderRejects, MissingObjectMultipleInstances) {
  EXPECT_EQ(error_of(with("<MultipleInstances>Multiple</MultipleInstances>", "")),
            "3303.xml: Object/MultipleInstances: missing element");
}

TEST(XmlLoaderRejects, ObjectMandatoryNotMandatoryOrOptional) {
  EXPECT_EQ(error_of(with("<Mandatory>Optional</Mandatory>", "<Mandatory>Yes</Mandatory>")),
            "3303.xml: Object/Mandatory: expected Mandatory or Optional, got 'Yes'");
}

TEST(XmlLoaderRejects, MissingResources) {
  std::string text = kValid;
  const auto begin = text.find("    <Resources>");
  const auto end = text.find("</Resources>") + std::string("</Resources>").size();
  text.erase(begin, end - begin);
  EXPECT_EQ(error_of(text), "3303.xml: Object/Resources: missing element");
}

TEST(XmlLoaderRejects, MissingItemId) {
  EXPECT_EQ(error_of(with(R"(<Item ID="5605">)", "<Item>")),
            "3303.xml: Object/Resources/Item[2]: missing ID attribute");
}

TEST(XmlLoaderRejects, NonNumericItemId) {
  EXPECT_EQ(error_of(with(R"(<Item ID="5700">)", R"(<Item ID="57OO">)")),
            "3303.xml: Object/Resources/Item[1]/@ID: not a number '57OO'");
}

TEST(XmlLoaderRejects, EmptyItemId) {
  EXPECT_EQ(error_of(with(R"(<Item ID="5700">)", R"(<Item ID="">)")),
            "3303.xml: Object/Resources/Item[1]/@ID: empty value");
}

TEST(XmlLoaderRejects, ItemIdAboveUnsignedShort) {
  EXPECT_EQ(error_of(with(R"(<Item ID="5700">)", R"(<Item ID="70000">)")),
            "3303.xml: Object/Resources/Item[1]/@ID: out of range '70000' (0..65535)");
}

TEST(XmlLoaderRejects, DuplicateResourceId) {
  EXPECT_EQ(error_of(with(R"(<Item ID="5605">)", R"(<Item ID="5700">)")),
            "3303.xml: Object/Resources/Item[ID=5700]: duplicate resource ID 5700");
}

TEST(XmlLoaderRejects, MissingItemName) {
  EXPECT_EQ(error_of(with("<Name>Sensor Value</Name>", "")),
            "3303.xml: Object/Resources/Item[ID=5700]/Name: missing element");
}

TEST(XmlLoaderRejects, UnknownType) {
  EXPECT_EQ(error_of(with("<Type>Float</Type>", "<Type>Flaot</Type>")),
            "3303.xml: Object/Resources/Item[ID=5700]/Type: unknown type 'Flaot'");
}

TEST(XmlLoaderRejects, UnknownOperations) {
  EXPECT_EQ(error_of(with("<Operations>R</Operations>", "<Operations>RWE</Operations>")),
            "3303.xml: Object/Resources/Item[ID=5700]/Operations: unknown operations 'RWE'");
}

TEST(XmlLoaderRejects, ItemMultipleInstancesNotSingleOrMultiple) {
  EXPECT_EQ(error_of(with("<MultipleInstances>Single</MultipleInstances>",
                          "<MultipleInstances>single</MultipleInstances>")),
            "3303.xml: Object/Resources/Item[ID=5700]/MultipleInstances: expected Single or "
            "Multiple, got 'single'");
}

TEST(XmlLoaderRejects, ItemMandatoryNotMandatoryOrOptional) {
  EXPECT_EQ(error_of(with("<Mandatory>Mandatory</Mandatory>", "<Mandatory>Required</Mandatory>")),
            "3303.xml: Object/Resources/Item[ID=5700]/Mandatory: expected Mandatory or Optional, "
            "got 'Required'");
}

TEST(XmlLoaderRejects, MissingItemMandatory) {
  EXPECT_EQ(error_of(with("<Mandatory>Mandatory</Mandatory>", "")),
            "3303.xml: Object/Resources/Item[ID=5700]/Mandatory: missing element");
}

TEST(XmlLoaderRejects, RepeatedItemType) {
  EXPECT_EQ(error_of(with("<Type>Float</Type>", "<Type>Float</Type><Type>String</Type>")),
            "3303.xml: Object/Resources/Item[ID=5700]/Type: element appears more than once");
}

}  // namespace
}  // namespace trellis::objects
