% crypt: the cryptomultiplication puzzle of the van Roy benchmark set. Find the unique
% multiplication of a 3-digit by a 2-digit number whose digits follow the pattern
%       OEE          (O = odd digit, E = even digit)
%        EE
%      ----
%      EOEE
%      EOE
%      ----
%      OOEE
% Answer: [A, B, C, D, E] with ABC * DE the multiplication (348 * 28 = 9744).
% Run: swipl -q -g main -t halt bench/programs/crypt.pl
% Prints: RESULT <[A,B,C,D,E]>, ITER <n>, TIME <seconds per run>.

crypt([A, B, C, D, E]) :-
    odd(A), even(B), even(C),
    even(E),
    mult([C, B, A], E, [I, H, G, F | X]),
    lefteven(F), odd(G), even(H), even(I), zero(X),
    lefteven(D),
    mult([C, B, A], D, [L, K, J | Y]),
    lefteven(J), odd(K), even(L), zero(Y),
    sum2([I, H, G, F], [0, L, K, J], [P, O, N, M | Z]),
    odd(M), odd(N), even(O), even(P), zero(Z).

% digit lists are least significant first
sum2(AL, BL, CL) :- sum2(AL, BL, 0, CL).

sum2([A|AL], [B|BL], Carry, [C|CL]) :- !,
    X is A + B + Carry,
    C is X mod 10,
    NewCarry is X // 10,
    sum2(AL, BL, NewCarry, CL).
sum2([], BL, 0, BL) :- !.
sum2(AL, [], 0, AL) :- !.
sum2([], [B|BL], Carry, [C|CL]) :- !,
    X is B + Carry,
    NewCarry is X // 10,
    C is X mod 10,
    sum2([], BL, NewCarry, CL).
sum2([A|AL], [], Carry, [C|CL]) :- !,
    X is A + Carry,
    NewCarry is X // 10,
    C is X mod 10,
    sum2([], AL, NewCarry, CL).
sum2([], [], Carry, [Carry]).

mult(AL, D, BL) :- mult(AL, D, 0, BL).

mult([A|AL], D, Carry, [B|BL]) :-
    X is A * D + Carry,
    B is X mod 10,
    NewCarry is X // 10,
    mult(AL, D, NewCarry, BL).
mult([], _, Carry, [C, Cend]) :-
    C is Carry mod 10,
    Cend is Carry // 10.

zero([]).
zero([0|L]) :- zero(L).

odd(1). odd(3). odd(5). odd(7). odd(9).
even(0). even(2). even(4). even(6). even(8).
lefteven(2). lefteven(4). lefteven(6). lefteven(8).

iterations(N) :- getenv('CRYPT_ITER', S), atom_number(S, N), !.
iterations(1000).

loop(0) :- !.
loop(K) :- crypt(_), !, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    crypt(R), !,
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [R]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
