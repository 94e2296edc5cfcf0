% tak: the Takeuchi function, tak(18, 12, 6) = 7 (63,609 tak/4 calls).
% Run: swipl -q -g main -t halt bench/programs/tak.pl
% Prints: RESULT <answer>, ITER <n>, TIME <seconds per run>.
% Measured with SWI-Prolog 9.0.4 (2 cores, this dev machine): TIME ~7.0 ms per tak(18,12,6).

tak(X, Y, Z, A) :- X =< Y, !, Z = A.
tak(X, Y, Z, A) :-
    X1 is X - 1, Y1 is Y - 1, Z1 is Z - 1,
    tak(X1, Y, Z, A1),
    tak(Y1, Z, X, A2),
    tak(Z1, X, Y, A3),
    tak(A1, A2, A3, A).

iterations(N) :- getenv('TAK_ITER', S), atom_number(S, N), !.
iterations(20).

loop(0) :- !.
loop(K) :- tak(18, 12, 6, _), K1 is K - 1, loop(K1).

main :-
    iterations(N),
    tak(18, 12, 6, R),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [R]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
