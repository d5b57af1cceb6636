namespace Formation.Vmm.Protocol;

/// <summary>A control request whose successful reply carries a <typeparamref name="TResult"/>.</summary>
public abstract record VmmRequest<TResult> : VmmRequest;
