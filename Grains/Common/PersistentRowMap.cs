namespace Formation.Grains.Common;

/// <summary>
/// A grain's map state kept in an <see cref="IStateRowStore"/>: changed in memory synchronously, written as the set of
/// changed rows by a group commit (<see cref="CoalescingWriter"/>). Use only from the owning grain's turns.
/// </summary>
public sealed class PersistentRowMap<T>
    where T : class
{
    private readonly IStateRowStore _store;
    private readonly string _collection;
    private readonly string _scope;
    private readonly CoalescingWriter _writer;
    private Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private Dictionary<string, T?> _dirty = new(StringComparer.Ordinal);

    public PersistentRowMap(IStateRowStore store, string collection, string scope, Action? onWriteFailed = null)
    {
        _store = store;
        _collection = collection;
        _scope = scope;
        _writer = new CoalescingWriter(async () =>
        {
            var batch = _dirty;
            _dirty = new Dictionary<string, T?>(StringComparer.Ordinal);
            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await _store.WriteAsync(_collection, _scope, batch.ToList(), CancellationToken.None);
            }
            catch
            {
                onWriteFailed?.Invoke();
                throw;
            }
        });
    }

    public IReadOnlyDictionary<string, T> Items => _items;

    public int Count => _items.Count;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        _items = await _store.ReadAsync<T>(_collection, _scope, cancellationToken);
        _dirty.Clear();
    }

    public bool TryGetValue(string key, out T value) => _items.TryGetValue(key, out value!);

    public void Set(string key, T value)
    {
        _items[key] = value;
        _dirty[key] = value;
    }

    public bool Remove(string key, out T value)
    {
        if (!_items.Remove(key, out value!))
        {
            return false;
        }

        _dirty[key] = null;
        return true;
    }

    /// <summary>Completes when every change made before this call is durable.</summary>
    public Task FlushAsync() => _writer.FlushAsync();
}
