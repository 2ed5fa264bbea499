package io.sluice.ops;

import static io.sluice.ops.Examples.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/kubernetes/}: what a cluster would reject or get wrong is checked here, since no cluster runs the
 * examples. The Sluice configuration embedded in the ConfigMap is the one the checks compare against.
 */
class KubernetesExampleTest {

  private static final String SIDECAR = "conf/kubernetes/sluice-sidecar.yaml";
  private static final String KEDA = "conf/kubernetes/keda-scaledobject.yaml";

  private final List<Object> docs = Examples.yamlDocuments(SIDECAR);
  private final Map<String, Object> deployment = kind("Deployment");
  private final Map<String, Object> pod = at(deployment, "spec", "template", "spec");
  private final Map<String, Object> sluice = container("sluice");
  private final Map<String, Object> config = sluiceConfig();

  @SuppressWarnings("unchecked")
  private Map<String, Object> kind(String kind) {
    List<Map<String, Object>> found = docs.stream().map(d -> (Map<String, Object>) d)
        .filter(d -> kind.equals(d.get("kind"))).collect(Collectors.toList());
    assertEquals(1, found.size(), "one " + kind + " in " + SIDECAR);
    return found.get(0);
  }

  private List<Map<String, Object>> containers() {
    return at(pod, "containers");
  }

  private Map<String, Object> container(String name) {
    return containers().stream().filter(c -> name.equals(c.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  private List<Map<String, Object>> volumes() {
    return at(pod, "volumes");
  }

  private Map<String, Object> volume(String name) {
    return volumes().stream().filter(v -> name.equals(v.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  /** The file Sluice reads: the ConfigMap mounted where the sluice container's --config points. */
  private Map<String, Object> sluiceConfig() {
    List<String> args = at(sluice, "args");
    int i = args.indexOf("--config");
    assertTrue(i >= 0 && i + 1 < args.size(), "sluice container args name no --config: " + args);
    String path = args.get(i + 1);
    Map<String, Object> mount = mountHolding(sluice, path)
        .orElseThrow(() -> new AssertionError(path + " is on no volume of the sluice container"));
    Map<String, Object> configMap = at(volume((String) mount.get("name")), "configMap");
    Map<String, Object> cm = kind("ConfigMap");
    assertEquals(at(cm, "metadata", "name"), configMap.get("name"), "the volume's ConfigMap is this file's");
    String key = path.substring(((String) mount.get("mountPath")).length() + 1);
    List<Object> yaml = Examples.yamlDocumentsOf(at(cm, "data", key));
    assertEquals(1, yaml.size());
    @SuppressWarnings("unchecked")
    Map<String, Object> parsed = (Map<String, Object>) yaml.get(0);
    return parsed;
  }

  /** The volume mount of {@code container} under which {@code path} lies. */
  private static Optional<Map<String, Object>> mountHolding(Map<String, Object> container, String path) {
    List<Map<String, Object>> mounts = at(container, "volumeMounts");
    return mounts.stream().filter(m -> path.startsWith(m.get("mountPath") + "/")).findFirst();
  }

  private Map<String, Object> backend() {
    List<Map<String, Object>> backends = at(config, "backends");
    assertEquals(1, backends.size(), "one backend: the app container");
    return backends.get(0);
  }

  private static int preStopSleep(Map<String, Object> container) {
    List<Object> command = at(container, "lifecycle", "preStop", "exec", "command");
    assertEquals("sleep", command.get(0), "preStop of " + container.get("name"));
    return Integer.parseInt(command.get(1).toString());
  }

  private int port(Map<String, Object> container, Object nameOrNumber) {
    List<Map<String, Object>> ports = at(container, "ports");
    if (nameOrNumber instanceof Integer n) {
      return n;
    }
    return ports.stream().filter(p -> nameOrNumber.equals(p.get("name"))).map(p -> (Integer) p.get("containerPort"))
        .findFirst().orElseThrow(() -> new AssertionError("no port named " + nameOrNumber));
  }

  private static int portOf(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  @Test
  void theAppAndSluiceShareTheSocketDirectoryOnAnEmptyDir() {
    String address = (String) backend().get("address");
    assertTrue(address.startsWith("unix:"), address);
    String socket = address.substring("unix:".length());
    Map<String, Object> sluiceMount = mountHolding(sluice, socket)
        .orElseThrow(() -> new AssertionError(socket + " is on no volume of the sluice container"));
    assertTrue(volume((String) sluiceMount.get("name")).containsKey("emptyDir"), "the socket volume is an emptyDir");
    List<Map<String, Object>> others = containers().stream().filter(c -> c != sluice).collect(Collectors.toList());
    assertFalse(others.isEmpty(), "an app container beside sluice");
    for (Map<String, Object> app : others) {
      Map<String, Object> appMount = mountHolding(app, socket)
          .orElseThrow(() -> new AssertionError(socket + " is on no volume of container " + app.get("name")));
      assertEquals(sluiceMount.get("name"), appMount.get("name"));
      assertEquals(sluiceMount.get("mountPath"), appMount.get("mountPath"));
    }
  }

  @Test
  void probesAskTheAdminListenerForReadinessAndHealth() {
    int admin = portOf(at(config, "admin", "address"));
    assertEquals("/readyz", at(sluice, "readinessProbe", "httpGet", "path"));
    assertEquals(admin, port(sluice, at(sluice, "readinessProbe", "httpGet", "port")));
    assertEquals("/healthz", at(sluice, "livenessProbe", "httpGet", "path"));
    assertEquals(admin, port(sluice, at(sluice, "livenessProbe", "httpGet", "port")));
  }

  @Test
  void theServiceSendsTrafficToSluicesListener() {
    List<Map<String, Object>> listen = at(config, "listen");
    int listener = portOf((String) listen.get(0).get("address"));
    List<Map<String, Object>> ports = at(kind("Service"), "spec", "ports");
    for (Map<String, Object> p : ports) {
      assertEquals(listener, port(sluice, p.get("targetPort")), "Service port " + p);
    }
  }

  @Test
  void theGracePeriodCoversTheDrainAndTheAppOutlivesIt() {
    Duration drain = Examples.duration(at(config, "shutdown", "drainTimeout"));
    int grace = at(pod, "terminationGracePeriodSeconds");
    int sluiceWait = preStopSleep(sluice);
    // Sluice gets SIGTERM after its preStop; its drain must end within the grace period, with a margin.
    assertTrue(grace >= sluiceWait + drain.toSeconds() + 5,
        "terminationGracePeriodSeconds " + grace + " < preStop " + sluiceWait + " s + drainTimeout " + drain + " + 5 s");
    for (Map<String, Object> app : containers()) {
      if (app != sluice) {
        int appWait = preStopSleep(app);
        assertTrue(appWait >= sluiceWait + drain.toSeconds(),
            app.get("name") + " gets SIGTERM after " + appWait + " s, before Sluice's drain ends");
        assertTrue(grace > appWait, app.get("name") + "'s preStop outlasts the grace period");
      }
    }
  }

  @Test
  void theTokenIsASecretMountedAsAFileAndNotWrittenHere() {
    Map<String, Object> admin = at(config, "admin");
    assertFalse(admin.containsKey("token"), "no token in the ConfigMap");
    String tokenFile = (String) admin.get("tokenFile");
    assertNotNull(tokenFile, "admin.tokenFile");
    Map<String, Object> mount = mountHolding(sluice, tokenFile)
        .orElseThrow(() -> new AssertionError(tokenFile + " is on no volume of the sluice container"));
    assertEquals(Boolean.TRUE, mount.get("readOnly"));
    Map<String, Object> secret = at(volume((String) mount.get("name")), "secret");
    assertNotNull(secret.get("secretName"));
    assertTrue(docs.stream().noneMatch(d -> "Secret".equals(((Map<?, ?>) d).get("kind"))),
        "a Secret with its value belongs in no example");
    List<Map<String, Object>> env = at(sluice, "env");
    assertTrue(env.stream().noneMatch(e -> "SLUICE_ADMIN_TOKEN".equals(e.get("name"))));
  }

  @Test
  void somaxconnIsAPodSysctl() {
    List<Map<String, Object>> sysctls = at(pod, "securityContext", "sysctls");
    Map<String, Object> somaxconn = sysctls.stream().filter(s -> "net.core.somaxconn".equals(s.get("name")))
        .findFirst().orElseThrow(() -> new AssertionError("no net.core.somaxconn in " + sysctls));
    // Kubernetes takes sysctl values as strings; a YAML number is rejected by the API server.
    assertTrue(somaxconn.get("value") instanceof String s && Integer.parseInt(s) > 0, somaxconn.toString());
    List<Map<String, Object>> listen = at(config, "listen");
    assertEquals("max", String.valueOf(listen.get(0).get("backlog")), "the listener's backlog follows the pod's somaxconn");
  }

  @Test
  void bothContainersRunUnprivileged() {
    for (Map<String, Object> c : containers()) {
      Map<String, Object> sc = at(c, "securityContext");
      assertTrue((Integer) sc.get("runAsUser") > 0, c.get("name") + " runs as root");
      assertEquals(Boolean.FALSE, sc.get("allowPrivilegeEscalation"), c.get("name").toString());
    }
    assertEquals(Boolean.TRUE, at(pod, "securityContext", "runAsNonRoot"));
  }

  @Test
  void kedaScalesThisDeploymentOnSeriesPrometheusLabelsSo() {
    Map<String, Object> scaled = Examples.yaml(KEDA);
    assertEquals("keda.sh/v1alpha1", scaled.get("apiVersion"));
    assertEquals("ScaledObject", scaled.get("kind"));
    assertEquals((Object) at(deployment, "metadata", "name"), at(scaled, "spec", "scaleTargetRef", "name"));
    String app = at(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/name");
    List<Map<String, Object>> triggers = at(scaled, "spec", "triggers");
    assertFalse(triggers.isEmpty());
    for (Map<String, Object> t : triggers) {
      assertEquals("prometheus", t.get("type"));
      String query = at(t, "metadata", "query");
      assertFalse(MetricReferences.names(query).isEmpty(), "a trigger on no Sluice metric: " + query);
      // conf/prometheus/prometheus.yml copies the pod label app.kubernetes.io/name to "app".
      assertTrue(query.contains("app=\"" + app + "\""), "query selects another app: " + query);
      Double.parseDouble(at(t, "metadata", "threshold"));
      assertTrue(String.valueOf((Object) at(t, "metadata", "serverAddress")).startsWith("http"));
    }
  }
}
