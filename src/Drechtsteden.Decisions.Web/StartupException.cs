namespace Drechtsteden.Decisions.Web;

/// <summary>A reason the host cannot start, worded for the person who started it; printed as one line, no stack trace.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
