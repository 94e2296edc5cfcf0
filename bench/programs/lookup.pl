% lookup: 10^5 facts f(I, I*7 mod 1000003) (I = 0..99999), first-argument indexed (SWI's JIT index),
% then a loop of 10^5 lookups by first argument (keys 0..99999) summing the second. Expected 34999650000.
% Run: swipl -q -g main -t halt bench/programs/lookup.pl
% Prints: RESULT <sum>, LOAD <seconds to assert the facts>, ITER <n>, TIME <seconds per 10^5-lookup loop>.
% Measured with SWI-Prolog 9.0.4 (2 cores, this dev machine): LOAD ~0.08 s, TIME ~35-50 ms per 10^5 lookups.

:- dynamic f/2.

facts(N) :- Max is N - 1, forall(between(0, Max, I), (V is I * 7 mod 1000003, assertz(f(I, V)))).

lookup_loop(N, N, S, S) :- !.
lookup_loop(I, N, S0, S) :- f(I, V), S1 is S0 + V, I1 is I + 1, lookup_loop(I1, N, S1, S).

iterations(N) :- getenv('LOOKUP_ITER', S), atom_number(S, N), !.
iterations(20).

loop(0) :- !.
loop(K) :- lookup_loop(0, 100000, 0, _), K1 is K - 1, loop(K1).

main :-
    statistics(cputime, L0), facts(100000), statistics(cputime, L1),
    Load is L1 - L0,
    lookup_loop(0, 100000, 0, Sum),          % first run also builds the JIT index
    iterations(N),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~d~n", [Sum]),
    format("LOAD ~6f~n", [Load]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
