package io.sluice.helm;

import static io.sluice.helm.Chart.get;
import static io.sluice.helm.Chart.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.sluice.gateway.cli.Main;
import io.sluice.helm.Chart.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * helm lint and helm template of {@code helm/sluice} for each role and for edge cases of values,
 * and what the rendered manifests must hold.
 */
class HelmChartTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"standalone", "edge", "core"})
  void lintPassesForEachRole(String role) {
    Path chart =
        Chart.copyWithValues(
            tmp.resolve("sluice"), v -> v.replace("role: standalone", "role: " + role));
    LintResult lint = new Helm(chart).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void lintFailsOnAValueTheSchemaRefuses() {
    Path chart =
        Chart.copyWithValues(
            tmp.resolve("sluice"), v -> v.replace("role: standalone", "role: middle"));
    LintResult lint = new Helm(chart).lint().call();
    assertThat(lint.isFailed()).isTrue();
    assertThat(String.join("\n", lint.getMessages())).contains("role");
  }

  @ParameterizedTest
  @ValueSource(strings = {"standalone", "edge", "core"})
  void probesPointAtTheAdminPortWhichTheGatewayIsToldToServe(String role) {
    Manifests m = Chart.template("gw", values("role", role, "ports.admin", 9911));
    Map<String, Object> deployment = m.one("Deployment");
    Map<String, Object> container = get(deployment, "spec.template.spec.containers.0");
    List<Map<String, Object>> ports = get(container, "ports");
    assertThat(ports)
        .anySatisfy(
            p -> {
              assertThat(p.get("name")).isEqualTo("admin");
              assertThat(p.get("containerPort")).isEqualTo(9911);
            });
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      assertThat((Object) get(container, probe + ".httpGet.port")).as(probe).isEqualTo("admin");
    }
    assertThat((Object) get(container, "readinessProbe.httpGet.path")).isEqualTo("/readyz");
    assertThat((Object) get(container, "livenessProbe.httpGet.path")).isEqualTo("/healthz");
    List<String> args = get(container, "args");
    assertThat(args)
        .contains(
            "run",
            "--config=/etc/sluice/routes.yaml",
            "--listen=0.0.0.0:8080",
            "--admin=0.0.0.0:9911");
    assertThat((Object) get(deployment, "spec.template.metadata.labels"))
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("app.kubernetes.io/component", role);
    List<Map<String, Object>> env = get(container, "env");
    assertThat(env).contains(Map.of("name", "SLUICE_ROLE", "value", role));
  }

  @Test
  void thePodIsLockedDownAndDrains() {
    Map<String, Object> pod =
        get(Chart.template("gw", Map.of()).one("Deployment"), "spec.template");
    assertThat((Object) get(pod, "spec.securityContext.runAsNonRoot")).isEqualTo(true);
    assertThat((Object) get(pod, "spec.securityContext.seccompProfile.type"))
        .isEqualTo("RuntimeDefault");
    Map<String, Object> sc = get(pod, "spec.containers.0.securityContext");
    assertThat(sc)
        .containsEntry("readOnlyRootFilesystem", true)
        .containsEntry("allowPrivilegeEscalation", false);
    assertThat((Object) get(sc, "capabilities.drop")).isEqualTo(List.of("ALL"));
    // A read-only root file system: the JVM and Vert.x write only under /tmp, an emptyDir.
    List<Map<String, Object>> mounts = get(pod, "spec.containers.0.volumeMounts");
    assertThat(mounts).anySatisfy(v -> assertThat(v.get("mountPath")).isEqualTo("/tmp"));
    // preStop (endpoints catch up) + drainTimeout (30 s default) fit in the grace period.
    int preStop = get(pod, "spec.containers.0.lifecycle.preStop.sleep.seconds");
    int grace = get(pod, "spec.terminationGracePeriodSeconds");
    assertThat(grace).isGreaterThanOrEqualTo(preStop + 30);
    assertThat((Object) get(pod, "spec.topologySpreadConstraints.0.topologyKey"))
        .isEqualTo("topology.kubernetes.io/zone");
  }

  @Test
  void anOlderKubernetesGetsAnExecPreStop() {
    Map<String, Object> deployment =
        Chart.template("gw", Map.of(), t -> t.withKubeVersion("v1.28.0")).one("Deployment");
    assertThat((Object) get(deployment, "spec.template.spec.containers.0.lifecycle.preStop.exec"))
        .isEqualTo(Map.of("command", List.of("sleep", "5")));
  }

  @Test
  void theDefaultRoutesPassSluiceValidate() throws IOException {
    assertValidRoutes(Chart.template("gw", Map.of()));
  }

  @Test
  void routesFromAFileLandInTheConfigMapAndPassSluiceValidate() throws IOException {
    Path demo = Path.of("..", "routes", "demo.yaml");
    Manifests m = Chart.template("gw", Map.of(), t -> t.setFile("routes", demo));
    String routes = assertValidRoutes(m);
    assertThat(routes).isEqualTo(Files.readString(demo));
  }

  @Test
  void anInvalidRouteFileIsCaughtByValidate() throws IOException {
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(bad, "routes:\n  - id: x\n    match: { path: nope }\n    backend: none\n");
    Manifests m = Chart.template("gw", Map.of(), t -> t.setFile("routes", bad));
    assertThat(validate(routesOf(m))).isEqualTo(1);
  }

  @Test
  void theCoreAcceptsClientTrafficOnlyFromEdgePods() {
    Manifests core = Chart.template("core", values("role", "core", "networkPolicy.enabled", true));
    Map<String, Object> policy = core.one("NetworkPolicy");
    Map<String, String> selected = get(policy, "spec.ingress.0.from.0.podSelector.matchLabels");
    assertThat(selected).isNotEmpty();
    // The policy protects the core's own pods.
    Map<String, String> corePods = get(core.one("Deployment"), "spec.template.metadata.labels");
    assertThat(corePods).containsAllEntriesOf(get(policy, "spec.podSelector.matchLabels"));
    assertThat((Object) get(policy, "spec.ingress.0.ports.0.port")).isEqualTo("http");
    // An edge release's pods match the selector; a standalone release's do not.
    Map<String, String> edgePods =
        get(
            Chart.template("edge", values("role", "edge")).one("Deployment"),
            "spec.template.metadata.labels");
    Map<String, String> standalonePods =
        get(Chart.template("gw", Map.of()).one("Deployment"), "spec.template.metadata.labels");
    assertThat(edgePods).containsAllEntriesOf(selected);
    assertThat(standalonePods).doesNotContainEntry("app.kubernetes.io/component", "edge");
    assertThat(corePods).doesNotContainEntry("app.kubernetes.io/component", "edge");
    // No admin peers listed: the admin port is open to no pod.
    List<?> rules = get(policy, "spec.ingress");
    assertThat(rules).hasSize(1);
  }

  @Test
  void edgeAndStandaloneAreOpenToClientsUnlessPeersAreListed() {
    Map<String, Object> policy =
        Chart.template("edge", values("role", "edge", "networkPolicy.enabled", true))
            .one("NetworkPolicy");
    assertThat((Object) get(policy, "spec.ingress.0.from")).isNull();
    assertThat((Object) get(policy, "spec.ingress.0.ports.0.port")).isEqualTo("http");
  }

  @Test
  void servicesSelectThePodsAndKeepTheAdminPortInside() {
    Manifests m = Chart.template("gw", values("service.type", "LoadBalancer"));
    Map<String, String> pods = get(m.one("Deployment"), "spec.template.metadata.labels");
    Map<String, Object> client = m.named("Service", "gw-sluice");
    Map<String, Object> admin = m.named("Service", "gw-sluice-admin");
    assertThat(pods).containsAllEntriesOf(get(client, "spec.selector"));
    assertThat(pods).containsAllEntriesOf(get(admin, "spec.selector"));
    assertThat((Object) get(client, "spec.type")).isEqualTo("LoadBalancer");
    assertThat((Object) get(client, "spec.ports.0.targetPort")).isEqualTo("http");
    assertThat((List<?>) get(client, "spec.ports")).hasSize(1);
    assertThat((Object) get(admin, "spec.type")).isEqualTo("ClusterIP");
    assertThat((Object) get(admin, "spec.ports.0.targetPort")).isEqualTo("admin");
  }

  @Test
  void optionalObjectsAppearWhenAskedFor() {
    Manifests plain = Chart.template("gw", Map.of());
    assertThat(plain.all("HorizontalPodAutoscaler")).isEmpty();
    assertThat(plain.all("Ingress")).isEmpty();
    assertThat(plain.all("ServiceMonitor")).isEmpty();
    assertThat(plain.all("NetworkPolicy")).isEmpty();
    assertThat(plain.all("PodDisruptionBudget")).hasSize(1);
    assertThat((Object) get(plain.one("Deployment"), "spec.replicas")).isEqualTo(2);

    Manifests all =
        Chart.template(
            "gw",
            values(
                "autoscaling.enabled",
                true,
                "autoscaling.maxReplicas",
                20,
                "ingress.enabled",
                true,
                "ingress.hosts[0].host",
                "api.example.com",
                "ingress.hosts[0].paths[0].path",
                "/",
                "metrics.serviceMonitor.enabled",
                true,
                "metrics.dashboard.enabled",
                true,
                "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
                "arn:aws:iam::123456789012:role/sluice"));
    assertThat((Object) get(all.one("HorizontalPodAutoscaler"), "spec.maxReplicas")).isEqualTo(20);
    // The HPA owns the replica count.
    assertThat((Object) get(all.one("Deployment"), "spec.replicas")).isNull();
    assertThat((Object) get(all.one("Ingress"), "spec.rules.0.host")).isEqualTo("api.example.com");
    assertThat((Object) get(all.one("Ingress"), "spec.rules.0.http.paths.0.backend.service.name"))
        .isEqualTo("gw-sluice");
    Map<String, Object> monitor = all.one("ServiceMonitor");
    assertThat((Object) get(monitor, "spec.endpoints.0.port")).isEqualTo("admin");
    assertThat((Object) get(monitor, "spec.endpoints.0.path")).isEqualTo("/metrics");
    Map<String, String> adminLabels =
        get(all.named("Service", "gw-sluice-admin"), "metadata.labels");
    assertThat(adminLabels).containsAllEntriesOf(get(monitor, "spec.selector.matchLabels"));
    assertThat((Object) get(all.one("ServiceAccount"), "metadata.annotations"))
        .isEqualTo(Map.of("eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/sluice"));
    String dashboard =
        (String)
            ((Map<?, ?>) get(all.named("ConfigMap", "gw-sluice-dashboard"), "data"))
                .get("sluice.json");
    assertThat(dashboard).contains("\"uid\": \"sluice-gateway\"");
  }

  @Test
  void secretsComeFromExistingSecretsAndAreNeverRendered() {
    Manifests m =
        Chart.template(
            "gw",
            values(
                "secretEnv[0].name", "SLUICE_ADMIN_TOKEN",
                "secretEnv[0].secretName", "sluice-admin",
                "secretEnv[0].key", "token",
                "secretFiles[0].name", "jwt-keys",
                "secretFiles[0].secretName", "sluice-jwt"));
    Map<String, Object> pod = get(m.one("Deployment"), "spec.template.spec");
    List<Map<String, Object>> env = get(pod, "containers.0.env");
    assertThat(env)
        .anySatisfy(
            e -> {
              assertThat(e.get("name")).isEqualTo("SLUICE_ADMIN_TOKEN");
              assertThat((Object) get(e, "valueFrom.secretKeyRef"))
                  .isEqualTo(Map.of("name", "sluice-admin", "key", "token"));
            });
    List<Map<String, Object>> volumes = get(pod, "volumes");
    assertThat(volumes)
        .anySatisfy(v -> assertThat((Object) get(v, "secret.secretName")).isEqualTo("sluice-jwt"));
    assertThat(m.all("Secret")).isEmpty();
  }

  @Test
  void routesReloadInPlaceUnlessAskedToRestart() {
    Map<String, Object> none =
        get(Chart.template("gw", Map.of()).one("Deployment"), "spec.template.metadata.annotations");
    assertThat(none == null ? Map.of() : none).doesNotContainKey("checksum/routes");
    Map<String, Object> annotations =
        get(
            Chart.template("gw", values("restartOnRoutesChange", true)).one("Deployment"),
            "spec.template.metadata.annotations");
    assertThat(annotations).containsKey("checksum/routes");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "role=middle",
        "ports.admin=70000",
        "replicas=3",
        "watch=soon",
        "service.type=ExternalName",
        "env.1BAD=x",
        "secretEnv[0].name=TOKEN"
      })
  void aBadValueIsRefusedByTheSchema(String set) {
    int eq = set.indexOf('=');
    assertThatThrownBy(
            () -> Chart.template("gw", values(set.substring(0, eq), set.substring(eq + 1))))
        .hasMessageContaining("values don't meet the specifications of the schema");
  }

  private String assertValidRoutes(Manifests m) throws IOException {
    String routes = routesOf(m);
    assertThat(validate(routes)).isZero();
    return routes;
  }

  private static String routesOf(Manifests m) {
    return (String) ((Map<?, ?>) get(m.one("ConfigMap"), "data")).get("routes.yaml");
  }

  /** {@code sluice validate} of a route file's text: its exit code. */
  private int validate(String routes) throws IOException {
    Path file = Files.createTempFile(tmp, "routes", ".yaml");
    Files.writeString(file, routes);
    return Main.execute("validate", "--config", file.toString());
  }
}
