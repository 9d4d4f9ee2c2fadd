namespace Drechtsteden.Decisions.Workflows;

/// <summary>Why a guard said no: a stable code, a sentence for a person, and the input field at fault when there is one.</summary>
public sealed record GuardFailure(string Code, string Message, DomainErrorKind Kind = DomainErrorKind.Conflict, string? Field = null);

/// <summary>
/// The named building blocks a definition may use: guards, actions, timer anchors and notification templates. The
/// engine knows nothing else of the domain; a definition naming a block that is not registered here is refused.
/// </summary>
public sealed class WorkflowBlocks<TContext>
{
    private readonly Dictionary<string, Func<TContext, GuardFailure?>> _guards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Action<TContext>> _actions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _anchors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _notifications = new(StringComparer.Ordinal);

    /// <summary>Registers a guard: the check returns null when it holds, or why not.</summary>
    public WorkflowBlocks<TContext> Guard(string name, Func<TContext, GuardFailure?> check)
    {
        _guards.Add(name, check);
        return this;
    }

    public WorkflowBlocks<TContext> Action(string name, Action<TContext> action)
    {
        _actions.Add(name, action);
        return this;
    }

    public WorkflowBlocks<TContext> Anchor(string name)
    {
        _anchors.Add(name);
        return this;
    }

    public WorkflowBlocks<TContext> Notification(string name)
    {
        _notifications.Add(name);
        return this;
    }

    public bool HasGuard(string name) => _guards.ContainsKey(name);

    public bool HasAction(string name) => _actions.ContainsKey(name);

    public bool HasAnchor(string name) => _anchors.Contains(name);

    public bool HasNotification(string name) => _notifications.Contains(name);

    public GuardFailure? Check(string guard, TContext context) => _guards[guard](context);

    public void Run(string action, TContext context) => _actions[action](context);
}
