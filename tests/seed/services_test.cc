// The document's first half, "Use Cases for Service Communication" and "How Spoke Enables Service
// Communication" (lines 21-161): services pull the schemas they share, versions evolve side by
// side, a recursive pull brings the imports along, and each language's service compiles its own
// code from the same pulled files.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "seed_protos.h"
#include "seed_support.h"

namespace spoke::seed {
namespace {

using e2e::Contains;
using e2e::ReadFiles;
using e2e::WriteFiles;

class SeedServices : public SeedTest {};

// Lines 41-45: a service pulls order v1.2.0, which declares OrderService and imports
// common/types.proto, into ./proto and generates Go code from the directory. The pull is not
// recursive, so the compile must find common/types.proto through the registry.
TEST_F(SeedServices, GrpcServiceCommunication) {
  Publish("common", "v1.0.0", kCommonV1);
  Publish("order", "v1.2.0", {{"order.proto", kOrderV12}});
  Host service = NewHost("order-client");

  const DocLine pull{43, "spoke pull -module order -version v1.2.0 -dir ./proto"};
  CommandResult pulled = service.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  ExpectFilesAre(service.Path("proto"), {{"order.proto", kOrderV12}});

  const DocLine compile{44, "spoke compile -dir ./proto -out ./generated -lang go"};
  CommandResult compiled = service.Run(compile);
  ASSERT_EQ(compiled.exit_code, 0) << Described(compile, compiled);
  const std::string go = OneFileEndingIn(service.Path("generated"), "order.pb.go");
  EXPECT_TRUE(Contains(go, "type Order struct")) << go.substr(0, 2000);
  EXPECT_TRUE(Contains(go, "type OrderRequest struct"));
  ExpectGoParses(service.Path("generated"));
}

// Lines 65-72: the producer and the consumer, two services with their own local stores, each pull
// events v1.0.0 into their working directory and get the same file.
TEST_F(SeedServices, StreamingProtocols) {
  Publish("events", "v1.0.0", {{"events.proto", kEvents}});
  Host producer = NewHost("producer"), consumer = NewHost("consumer");

  const DocLine producer_pull{68, "spoke pull -module events -version v1.0.0"};
  CommandResult produced = producer.Run(producer_pull);
  ASSERT_EQ(produced.exit_code, 0) << Described(producer_pull, produced);
  const DocLine consumer_pull{71, "spoke pull -module events -version v1.0.0"};
  CommandResult consumed = consumer.Run(consumer_pull);
  ASSERT_EQ(consumed.exit_code, 0) << Described(consumer_pull, consumed);

  ExpectFilesAre(producer.dir(), {{"events.proto", kEvents}});
  ExpectFilesAre(consumer.dir(), {{"events.proto", kEvents}});
}

// Lines 104-114: a developer pushes user v1.0.0 from ./proto, adds a field and pushes v1.1.0
// from the same directory; a legacy service pulls v1.0.0 and a current one v1.1.0, each into its
// own working directory.
TEST_F(SeedServices, VersionManagementForApiEvolution) {
  Publish("common", "v1.0.0", kCommonV1);
  Host developer = NewHost("developer");
  WriteFiles(developer.Path("proto"), {{"user.proto", kUserV1}});

  const DocLine push_v1{106, "spoke push -module user -version v1.0.0 -dir ./proto"};
  CommandResult pushed_v1 = developer.Run(push_v1);
  ASSERT_EQ(pushed_v1.exit_code, 0) << Described(push_v1, pushed_v1);
  WriteFiles(developer.Path("proto"), {{"user.proto", kUserV11}});
  const DocLine push_v11{109, "spoke push -module user -version v1.1.0 -dir ./proto"};
  CommandResult pushed_v11 = developer.Run(push_v11);
  ASSERT_EQ(pushed_v11.exit_code, 0) << Described(push_v11, pushed_v11);

  Host legacy = NewHost("legacy-service"), current = NewHost("current-service");
  const DocLine legacy_pull{112, "spoke pull -module user -version v1.0.0  # Legacy"};
  CommandResult legacy_pulled = legacy.Run(legacy_pull);
  ASSERT_EQ(legacy_pulled.exit_code, 0) << Described(legacy_pull, legacy_pulled);
  const DocLine current_pull{113, "spoke pull -module user -version v1.1.0  # Current"};
  CommandResult current_pulled = current.Run(current_pull);
  ASSERT_EQ(current_pulled.exit_code, 0) << Described(current_pull, current_pulled);

  ExpectFilesAre(legacy.dir(), {{"user.proto", kUserV1}});
  ExpectFilesAre(current.dir(), {{"user.proto", kUserV11}});
  Json versions = e2e::ParseJson(GetBody("/modules/user/versions"));
  EXPECT_EQ(versions.GetString("latest"), "v1.1.0") << versions.Dump();
}

// Lines 116-137: order imports "common/types.proto", which is file types.proto of module common.
// A recursive pull writes order.proto at the root and common's file under its mount "common", so
// the tree builds with protoc -I . as it is.
TEST_F(SeedServices, DependencyResolution) {
  Publish("common", "v1.0.0", kCommonV1);
  Publish("order", "v1.0.0", {{"order.proto", kOrderV1}});
  Host service = NewHost("order-service");

  const DocLine pull{135, "spoke pull -module order -version v1.0.0 -recursive"};
  CommandResult pulled = service.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  FileSet tree = ReadFiles(service.dir());
  EXPECT_EQ(tree["order.proto"], kOrderV1);
  EXPECT_EQ(tree["common/types.proto"], kCommonTypes)
      << "\"Automatically pulls common/types.proto as well\" (line 136)\n"
      << Described(pull, pulled);
  EXPECT_FALSE(tree.count("types.proto")) << "common's file belongs under its mount, common/";
  ExpectProtocBuilds(service.dir(), "order.proto");
}

// Lines 143-147. The document's Go service pulls without -dir and compiles -dir ./proto: the
// service keeps its schemas in ./proto, so the pull runs in ./proto (the developer pulls into their
// proto directory) and the compile in its parent, the service's root.
TEST_F(SeedServices, PreCompilationGoService) {
  Publish("events", "v1.0.0", {{"events.proto", kEvents}});
  Host service = NewHost("go-service");

  const DocLine pull{145, "spoke pull -module events -version v1.0.0"};
  CommandResult pulled = service.Run(pull, "proto");
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  const DocLine compile{146, "spoke compile -lang go -dir ./proto -out ./pkg/events"};
  CommandResult compiled = service.Run(compile);
  ASSERT_EQ(compiled.exit_code, 0) << Described(compile, compiled);

  const std::string go = OneFileEndingIn(service.Path("pkg/events"), "events.pb.go");
  EXPECT_TRUE(Contains(go, "type UserAction struct")) << go.substr(0, 2000);
  EXPECT_TRUE(Contains(go, "ActionType")) << go.substr(0, 2000);
  ExpectGoParses(service.Path("pkg/events"));
}

// Lines 149-153, with the pull in ./proto as for the Go service. python3 imports the module and
// round-trips a UserAction through it.
TEST_F(SeedServices, PreCompilationPythonService) {
  Publish("events", "v1.0.0", {{"events.proto", kEvents}});
  Host service = NewHost("python-service");

  const DocLine pull{151, "spoke pull -module events -version v1.0.0"};
  CommandResult pulled = service.Run(pull, "proto");
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  const DocLine compile{152, "spoke compile -lang python -dir ./proto -out ./events_pb"};
  CommandResult compiled = service.Run(compile);
  ASSERT_EQ(compiled.exit_code, 0) << Described(compile, compiled);

  FileSet generated = ReadFiles(service.Path("events_pb"));
  ASSERT_TRUE(generated.count("events_pb2.py")) << compiled.Describe();
  const std::string python = PythonWithProtobuf();
  if (python.empty()) GTEST_SKIP() << "no python3 with the protobuf module (python3-protobuf)";
  ExpectPythonRuns(python, service.Path("events_pb"),
                   "import events_pb2 as e\n"
                   "a = e.UserAction(user_id='u1', action_type='click', timestamp=1700000000)\n"
                   "assert e.UserAction.FromString(a.SerializeToString()) == a\n");
}

// Lines 155-159, with the pull in ./proto as for the Go service. g++ compiles the generated
// source against libprotobuf's headers.
TEST_F(SeedServices, PreCompilationCppService) {
  Publish("events", "v1.0.0", {{"events.proto", kEvents}});
  Host service = NewHost("cpp-service");

  const DocLine pull{157, "spoke pull -module events -version v1.0.0"};
  CommandResult pulled = service.Run(pull, "proto");
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  const DocLine compile{158, "spoke compile -lang cpp -dir ./proto -out ./generated"};
  CommandResult compiled = service.Run(compile);
  ASSERT_EQ(compiled.exit_code, 0) << Described(compile, compiled);

  FileSet generated = ReadFiles(service.Path("generated"));
  ASSERT_TRUE(generated.count("events.pb.h") && generated.count("events.pb.cc"))
      << compiled.Describe();
  EXPECT_TRUE(Contains(generated["events.pb.h"], "class UserAction"));
  if (!OnPath("g++")) GTEST_SKIP() << "no g++ on PATH";
  ExpectCppCompiles(service.Path("generated"), "events.pb.cc");
}

}  // namespace
}  // namespace spoke::seed
