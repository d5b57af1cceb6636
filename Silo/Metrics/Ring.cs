namespace Formation.Silo.Metrics;

/// <summary>The last <c>capacity</c> items, oldest first; adding to a full ring drops the oldest. Not thread-safe.</summary>
public sealed class Ring<T>(int capacity)
{
    private readonly T[] _items = new T[Math.Max(1, capacity)];
    private int _start;

    public int Count { get; private set; }

    public void Add(T item)
    {
        if (Count < _items.Length)
        {
            _items[(_start + Count) % _items.Length] = item;
            Count++;
        }
        else
        {
            _items[_start] = item;
            _start = (_start + 1) % _items.Length;
        }
    }

    /// <summary>The newest <paramref name="count"/> items (all when 0 or more than held), oldest first.</summary>
    public T[] Last(int count)
    {
        var n = count <= 0 ? Count : Math.Min(count, Count);
        var result = new T[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = _items[(_start + Count - n + i) % _items.Length];
        }

        return result;
    }
}
