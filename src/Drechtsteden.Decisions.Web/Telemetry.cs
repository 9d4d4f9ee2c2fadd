using System.Diagnostics.Metrics;

namespace Drechtsteden.Decisions.Web;

/// <summary>Our own metrics (System.Diagnostics.Metrics), exported with the rest when OpenTelemetry is configured.</summary>
public static class Telemetry
{
    public const string MeterName = "Drechtsteden.Decisions";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Commands = Meter.CreateCounter<long>("decisions.commands", description: "Commands executed, by command and outcome");

    public static readonly Counter<long> TimersFired = Meter.CreateCounter<long>("decisions.timers.fired", description: "Timers fired, by timer id");

    public static readonly Histogram<double> TimerLateness = Meter.CreateHistogram<double>("decisions.timers.lateness", unit: "ms", description: "How late a timer fired after its due instant");

    public static readonly Counter<long> NotificationsSent = Meter.CreateCounter<long>("decisions.notifications.sent", description: "Messages handed to SMTP or the pickup folder");

    public static readonly Counter<long> LogCheckpoints = Meter.CreateCounter<long>("decisions.audit.log.checkpoints", description: "Checkpoints signed by the transparency log");

    public static readonly Counter<long> AuditAppends = Meter.CreateCounter<long>("decisions.audit.appends", description: "Audit entries written");
}
