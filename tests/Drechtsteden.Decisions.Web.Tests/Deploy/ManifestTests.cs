using System.Text.RegularExpressions;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Auth;
using Drechtsteden.Decisions.Web.Notifications;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Drechtsteden.Decisions.Web.Tests.Deploy;

/// <summary>
/// No container engine runs here, so the deployment files are read as data: every manifest and the compose file parse,
/// and hold what the runbook promises (replicas, probes, the migration bundle, secrets, a disruption budget, a
/// replicated PostgreSQL with backups); every setting they give names an option the app really has.
/// </summary>
public sealed partial class ManifestTests
{
    private static readonly string Deploy = Path.Combine(Browser.BrowserApp.RepositoryRoot, "deploy");

    private static List<Dictionary<object, object>> Documents(string file)
    {
        using var reader = new StreamReader(Path.Combine(Deploy, file));
        var parser = new MergingParser(new Parser(reader));
        var deserializer = new DeserializerBuilder().Build();
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (!parser.Accept<YamlDotNet.Core.Events.StreamEnd>(out _))
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        return documents;
    }

    private static object? At(object? node, params object[] path)
    {
        foreach (var step in path)
        {
            node = (node, step) switch
            {
                (Dictionary<object, object> map, string key) => map.GetValueOrDefault(key),
                (List<object> list, int index) => index < list.Count ? list[index] : null,
                _ => null,
            };
        }
        return node;
    }

    private static IEnumerable<Dictionary<object, object>> Kubernetes() =>
        ((List<object>)At(Documents("k8s/kustomization.yaml")[0], "resources")!).Cast<string>().SelectMany(f => Documents(Path.Combine("k8s", f)));

    private static Dictionary<object, object> Kind(string kind) => Kubernetes().Single(d => (string?)At(d, "kind") == kind);

    [Test]
    public void The_Dockerfile_is_multi_stage_non_root_with_tzdata_ICU_a_health_check_and_the_migration_bundle()
    {
        var text = File.ReadAllText(Path.Combine(Deploy, "Dockerfile"));
        var stages = FromLine().Matches(text);
        Assert.That(stages, Has.Count.GreaterThanOrEqualTo(2), "multi-stage");
        var runtime = text[stages[^1].Index..];
        Assert.Multiple(() =>
        {
            Assert.That(UserLine().Match(runtime).Groups[1].Value, Is.Not.Empty.And.Not.EqualTo("root").And.Not.EqualTo("0"), "runs as non-root");
            Assert.That(runtime, Does.Contain("tzdata").And.Match(@"libicu\d+"), "tzdata and ICU in the runtime image");
            Assert.That(runtime, Does.Contain("TZ=Europe/Amsterdam").And.Contain("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=false"));
            Assert.That(runtime, Does.Match(@"HEALTHCHECK[^\n]*\n?[^\n]*/health/live"), "a health check");
            Assert.That(runtime, Does.Contain("ENTRYPOINT [\"dotnet\", \"Drechtsteden.Decisions.Web.dll\"]"));
            Assert.That(text, Does.Contain("dotnet ef migrations bundle").And.Contain("/out/efbundle"), "the EF Core migration bundle is in the image");
            Assert.That(runtime, Does.Contain("ASPNETCORE_HTTP_PORTS=8080").And.Contain("EXPOSE 8080"));
        });
        foreach (Match copy in CopyLine().Matches(text))
        {
            foreach (var source in copy.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
                Assert.That(File.Exists(Path.Combine(Browser.BrowserApp.RepositoryRoot, source)) || Directory.Exists(Path.Combine(Browser.BrowserApp.RepositoryRoot, source)), $"COPY {source} exists");
        }
    }

    [Test]
    public void The_compose_file_runs_two_replicas_after_the_migration_step_with_PostgreSQL_and_a_mail_catcher()
    {
        var compose = Documents("compose.yaml").Single();
        var services = (Dictionary<object, object>)At(compose, "services")!;
        Assert.That(services.Keys, Is.SupersetOf(new[] { "db", "mail", "migrate", "app" }));
        Assert.Multiple(() =>
        {
            Assert.That(At(services, "db", "image")?.ToString(), Does.StartWith("postgres:"));
            Assert.That(At(services, "db", "healthcheck"), Is.Not.Null);
            Assert.That(At(services, "mail", "image")?.ToString(), Does.Contain("mailpit"));
            Assert.That(At(services, "migrate", "command", 0), Is.EqualTo("migrate"));
            Assert.That(At(services, "migrate", "depends_on", "db", "condition"), Is.EqualTo("service_healthy"));
            Assert.That(int.Parse((string)At(services, "app", "deploy", "replicas")!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(2));
            Assert.That(At(services, "app", "depends_on", "migrate", "condition"), Is.EqualTo("service_completed_successfully"));
            Assert.That(At(services, "app", "build", "dockerfile"), Is.EqualTo("deploy/Dockerfile"), "the merged app settings");
            Assert.That(At(services, "app", "environment", "Mail__SmtpHost"), Is.EqualTo("mail"));
            Assert.That((string?)At(services, "app", "environment", "ConnectionStrings__Decisions"), Does.Contain("Username=decisions_app"));
            Assert.That((string?)At(services, "migrate", "environment", "ConnectionStrings__DecisionsOwner"), Does.Contain("Username=decisions_owner"));
        });
        var init = (List<object>)At(services, "db", "volumes")!;
        foreach (var volume in init.Cast<string>().Where(v => v.StartsWith("./", StringComparison.Ordinal)))
            Assert.That(File.Exists(Path.Combine(Deploy, volume.Split(':')[0])), $"{volume} exists");
        AssertSettingsExist(((Dictionary<object, object>)At(services, "app", "environment")!).Keys.Cast<string>());
    }

    [Test]
    public void Kubernetes_has_two_replicas_with_probes_a_bundle_migration_job_secrets_a_disruption_budget_and_a_CloudNativePG_cluster_with_backups()
    {
        var deployment = Kind("Deployment");
        var container = At(deployment, "spec", "template", "spec", "containers", 0);
        var job = Kind("Job");
        var cluster = Kind("Cluster");
        var pdb = Kind("PodDisruptionBudget");
        Assert.Multiple(() =>
        {
            Assert.That(int.Parse((string)At(deployment, "spec", "replicas")!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(2));
            Assert.That(At(container, "readinessProbe", "httpGet", "path"), Is.EqualTo("/health/ready"));
            Assert.That(At(container, "livenessProbe", "httpGet", "path"), Is.EqualTo("/health/live"));
            Assert.That(At(container, "ports", 0, "containerPort"), Is.EqualTo("8080"), "the port of the image");
            Assert.That(At(container, "envFrom", 0, "secretRef", "name"), Is.EqualTo("decisions-secrets"));
            Assert.That(At(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot"), Is.EqualTo("true"));
            Assert.That(At(job, "spec", "template", "spec", "initContainers", 0, "command", 0), Is.EqualTo("/app/efbundle"), "the migration bundle");
            Assert.That(At(job, "spec", "template", "spec", "containers", 0, "args", 0), Is.EqualTo("migrate"));
            Assert.That(At(pdb, "spec", "selector", "matchLabels"), Is.EqualTo(At(deployment, "spec", "selector", "matchLabels")), "the budget covers the web pods");
            Assert.That(At(cluster, "apiVersion"), Is.EqualTo("postgresql.cnpg.io/v1"));
            Assert.That(int.Parse((string)At(cluster, "spec", "instances")!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(2), "replicated");
            Assert.That(At(cluster, "spec", "backup", "barmanObjectStore", "destinationPath"), Is.Not.Null, "backed up");
            Assert.That(Kubernetes().Any(d => (string?)At(d, "kind") == "ScheduledBackup" && (string?)At(d, "spec", "cluster", "name") == (string?)At(cluster, "metadata", "name")), "with a scheduled backup");
        });

        // Every secret the manifests use is in the template, with the connection strings and the SMTP credentials.
        var secrets = Documents("k8s/secrets.example.yaml").ToDictionary(d => (string)At(d, "metadata", "name")!, d => d);
        var used = new[] { (string)At(container, "envFrom", 0, "secretRef", "name")!, (string)At(cluster, "spec", "bootstrap", "initdb", "secret", "name")!,
            (string)At(cluster, "spec", "managed", "roles", 0, "passwordSecret", "name")!, (string)At(cluster, "spec", "backup", "barmanObjectStore", "s3Credentials", "accessKeyId", "name")! };
        Assert.That(secrets.Keys, Is.SupersetOf(used));
        var appSecret = ((Dictionary<object, object>)At(secrets["decisions-secrets"], "stringData")!).Keys.Cast<string>().ToList();
        Assert.That(appSecret, Is.SupersetOf(new[] { "ConnectionStrings__Decisions", "ConnectionStrings__DecisionsOwner", "Auth__SigningKey", "Mail__SmtpUserName", "Mail__SmtpPassword" }));
        AssertSettingsExist(appSecret.Concat(((List<object>)At(container, "env")!).Select(e => (string)At(e, "name")!)));
    }

    /// <summary>Section__Property names an option the app reads (so a typo in a manifest cannot silently do nothing).</summary>
    private static void AssertSettingsExist(IEnumerable<string> keys)
    {
        var sections = new Dictionary<string, Type>
        {
            [MailOptions.Section] = typeof(MailOptions), [AppOptions.Section] = typeof(AppOptions), [AuthOptions.Section] = typeof(AuthOptions),
            [AuditOptions.Section] = typeof(AuditOptions),
        };
        foreach (var key in keys)
        {
            var parts = key.Split("__");
            if (parts[0] is "ConnectionStrings")
                Assert.That(parts[1], Is.AnyOf("Decisions", "DecisionsOwner"), key);
            else if (sections.TryGetValue(parts[0], out var type))
                Assert.That(type.GetProperty(parts[1]), Is.Not.Null, $"{key}: {type.Name} has no {parts[1]}");
            else
                Assert.That(key, Does.StartWith("ASPNETCORE_").Or.StartWith("OTEL_").Or.StartWith("DOTNET_"), $"{key} is a setting the app knows");
        }
    }

    [GeneratedRegex(@"^FROM\s+\S+", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^USER\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex UserLine();

    [GeneratedRegex(@"^COPY\s+(?!--from)([^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();
}
