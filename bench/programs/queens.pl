% queens: all solutions of the 8-queens problem (select-and-check), counted. Expected 92.
% Run: swipl -q -g main -t halt bench/programs/queens.pl
% Prints: RESULT <count>, ITER <n>, TIME <seconds per run>.
% Measured with SWI-Prolog 9.0.4 (2 cores, this dev machine): TIME ~6.2 ms per count of all 92.

range(N, N, [N]) :- !.
range(I, N, [I|T]) :- I < N, I1 is I+1, range(I1, N, T).

sel(X, [X|T], T).
sel(X, [H|T], [H|R]) :- sel(X, T, R).

queens(N, Qs) :- range(1, N, Ns), place(Ns, [], Qs).

place([], Qs, Qs).
place(Unplaced, Safe, Qs) :-
    sel(Q, Unplaced, Rest),
    \+ attack(Q, 1, Safe),
    place(Rest, [Q|Safe], Qs).

attack(X, N, [Y|_]) :- X =:= Y + N.
attack(X, N, [Y|_]) :- X =:= Y - N.
attack(X, N, [_|Ys]) :- N1 is N + 1, attack(X, N1, Ys).

count_queens(N, C) :- aggregate_all(count, queens(N, _), C).

iterations(N) :- getenv('QUEENS_ITER', S), atom_number(S, N), !.
iterations(20).

loop(0) :- !.
loop(K) :- count_queens(8, _), K1 is K - 1, loop(K1).

main :-
    iterations(N),
    count_queens(8, C),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~d~n", [C]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
