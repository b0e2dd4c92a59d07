// The document's agent stories: "Schema Evolution Tracking" (lines 357-366), "Scenario 1:
// Distributed AI Agent System" (lines 381-422) and "Scenario 3: Microservice Mesh" (lines 444-463).
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "seed_protos.h"
#include "seed_support.h"

namespace spoke::seed {
namespace {

using e2e::Contains;
using e2e::ReadFiles;
using e2e::WriteFiles;

class SeedAgents : public SeedTest {};

// Lines 361-366: both versions pulled side by side, then compared with diff: the only change is
// the field v1.1.0 added (diff exits 1 because the files differ).
TEST_F(SeedAgents, SchemaEvolutionTracking) {
  Publish("common", "v1.0.0", kCommonV1);
  Publish("user", "v1.0.0", {{"user.proto", kUserV1}});
  Publish("user", "v1.1.0", {{"user.proto", kUserV11}});
  Host developer = NewHost("developer");

  const DocLine pull_v1{363, "spoke pull -module user -version v1.0.0 -dir ./v1"};
  CommandResult pulled_v1 = developer.Run(pull_v1);
  ASSERT_EQ(pulled_v1.exit_code, 0) << Described(pull_v1, pulled_v1);
  const DocLine pull_v2{364, "spoke pull -module user -version v1.1.0 -dir ./v2"};
  CommandResult pulled_v2 = developer.Run(pull_v2);
  ASSERT_EQ(pulled_v2.exit_code, 0) << Described(pull_v2, pulled_v2);

  const DocLine diff{365, "diff ./v1/user.proto ./v2/user.proto"};
  CommandResult diffed = developer.Run(diff);
  EXPECT_EQ(diffed.exit_code, 1) << Described(diff, diffed);
  EXPECT_TRUE(Contains(diffed.out, "> " + kUserNewField)) << Described(diff, diffed);
  EXPECT_FALSE(Contains("\n" + diffed.out, "\n< ")) << "v1.1.0 only adds\n"
                                                    << Described(diff, diffed);
}

// The heredoc of lines 391-410, as the document writes it.
const DocLine kAgentProtocolHeredoc{391, R"(cat > agent-protocol.proto <<EOF
syntax = "proto3";

message Task {
  string task_id = 1;
  bytes payload = 2;
  int32 priority = 3;
}

message TaskResult {
  string task_id = 1;
  bool success = 2;
  bytes result = 3;
}

service AgentCoordinator {
  rpc AssignTask(Task) returns (TaskAck);
  rpc ReportResult(TaskResult) returns (ResultAck);
}
EOF)"};

// Lines 389-422. The heredoc runs through /bin/sh in the protocol author's directory, where the
// push then runs. The document's protocol names TaskAck and ResultAck without declaring them, so
// the registry refuses it as written, naming both (a schema that does not link must not be
// published: its compile would fail for every consumer). The author declares the two messages and
// runs the same push again. The coordinator and the worker each pull into their ./proto and
// compile from their service's root, as the Go service of lines 143-147 does.
TEST_F(SeedAgents, DistributedAiAgentSystem) {
  Host author = NewHost("protocol-author");
  CommandResult written = author.RunInShell(kAgentProtocolHeredoc);
  ASSERT_EQ(written.exit_code, 0) << Described(kAgentProtocolHeredoc, written);
  const std::string& heredoc = kAgentProtocolHeredoc.text;
  const size_t body = heredoc.find('\n') + 1;
  const std::string protocol = heredoc.substr(body, heredoc.rfind("EOF") - body);
  ExpectFilesAre(author.dir(), {{"agent-protocol.proto", protocol}});

  const DocLine push{413, "spoke push -module agent-protocol -version v1.0.0"};
  CommandResult refused = author.Run(push);
  EXPECT_EQ(refused.exit_code, 1) << Described(push, refused);
  EXPECT_TRUE(Contains(refused.err, "agent-protocol.proto:17:") &&
              Contains(refused.err, "\"TaskAck\" is not defined") &&
              Contains(refused.err, "\"ResultAck\" is not defined"))
      << Described(push, refused);
  const std::string completed = protocol +
                                "\nmessage TaskAck {\n  string task_id = 1;\n}\n\n"
                                "message ResultAck {\n  string task_id = 1;\n}\n";
  WriteFiles(author.dir(), {{"agent-protocol.proto", completed}});
  CommandResult pushed = author.Run(push);
  ASSERT_EQ(pushed.exit_code, 0) << Described(push, pushed);

  Host coordinator = NewHost("coordinator");
  const DocLine coordinator_pull{416, "spoke pull -module agent-protocol -version v1.0.0"};
  CommandResult coordinator_pulled = coordinator.Run(coordinator_pull, "proto");
  ASSERT_EQ(coordinator_pulled.exit_code, 0) << Described(coordinator_pull, coordinator_pulled);
  ExpectFilesAre(coordinator.Path("proto"), {{"agent-protocol.proto", completed}});
  const DocLine python{417, "spoke compile -lang python -dir ./proto -out ./coordinator/proto"};
  CommandResult python_compiled = coordinator.Run(python);
  ASSERT_EQ(python_compiled.exit_code, 0) << Described(python, python_compiled);

  Host worker = NewHost("worker");
  const DocLine worker_pull{420, "spoke pull -module agent-protocol -version v1.0.0"};
  CommandResult worker_pulled = worker.Run(worker_pull, "proto");
  ASSERT_EQ(worker_pulled.exit_code, 0) << Described(worker_pull, worker_pulled);
  const DocLine go{421, "spoke compile -lang go -dir ./proto -out ./worker/proto"};
  CommandResult go_compiled = worker.Run(go);
  ASSERT_EQ(go_compiled.exit_code, 0) << Described(go, go_compiled);
  const std::string go_code = OneFileEndingIn(worker.Path("worker/proto"), "agent-protocol.pb.go");
  EXPECT_TRUE(Contains(go_code, "type Task struct")) << go_code.substr(0, 2000);
  ExpectGoParses(worker.Path("worker/proto"));

  // protoc names the Python module after the file, with '-' made '_'.
  ASSERT_TRUE(ReadFiles(coordinator.Path("coordinator/proto")).count("agent_protocol_pb2.py"))
      << python_compiled.Describe();
  const std::string python3 = PythonWithProtobuf();
  if (python3.empty()) GTEST_SKIP() << "no python3 with the protobuf module (python3-protobuf)";
  ExpectPythonRuns(python3, coordinator.Path("coordinator/proto"),
                   "import agent_protocol_pb2 as p\n"
                   "t = p.Task(task_id='t1', payload=b'\\x00job', priority=3)\n"
                   "assert p.Task.FromString(t.SerializeToString()) == t\n"
                   "s = p.DESCRIPTOR.services_by_name['AgentCoordinator']\n"
                   "assert [m.name for m in s.methods] == ['AssignTask', 'ReportResult']\n");
}

const std::string kPayment =
    "syntax = \"proto3\";\n\npackage payment;\n\nimport \"common/types.proto\";\n\n"
    "message Payment {\n  common.UUID id = 1;\n  string order_id = 2;\n  int64 amount_cents = 3;\n"
    "  common.Timestamp paid_at = 4;\n}\n";

// Lines 451-463: one developer tree, ./proto/<service>, each service importing
// "common/types.proto" (module common's types.proto). Each push finds common through the
// registry; a service deployed later pulls user-service with its dependency at the mount.
TEST_F(SeedAgents, MicroserviceMesh) {
  Host developer = NewHost("mesh");
  WriteFiles(developer.Path("proto"), {{"common/types.proto", kCommonTypes},
                                       {"user/user.proto", kUserV1},
                                       {"order/order.proto", kOrderV1},
                                       {"payment/payment.proto", kPayment}});
  const DocLine common{454, "spoke push -module common -version v1.0.0 -dir ./proto/common"};
  CommandResult common_pushed = developer.Run(common);
  ASSERT_EQ(common_pushed.exit_code, 0) << Described(common, common_pushed);
  for (const DocLine& push :
       {DocLine{457, "spoke push -module user-service -version v1.0.0 -dir ./proto/user"},
        DocLine{458, "spoke push -module order-service -version v1.0.0 -dir ./proto/order"},
        DocLine{459, "spoke push -module payment-service -version v1.0.0 -dir ./proto/payment"}}) {
    CommandResult pushed = developer.Run(push);
    EXPECT_EQ(pushed.exit_code, 0) << Described(push, pushed);
    EXPECT_TRUE(Contains(pushed.out, "common/types.proto -> common@v1.0.0"))
        << Described(push, pushed);
  }

  Host deployed = NewHost("user-service-host");
  const DocLine pull{462, "spoke pull -module user-service -version v1.0.0 -recursive"};
  CommandResult pulled = deployed.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  FileSet tree = ReadFiles(deployed.dir());
  EXPECT_EQ(tree["user.proto"], kUserV1);
  EXPECT_EQ(tree["common/types.proto"], kCommonTypes) << Described(pull, pulled);
  ExpectProtocBuilds(deployed.dir(), "user.proto");
}

}  // namespace
}  // namespace spoke::seed
